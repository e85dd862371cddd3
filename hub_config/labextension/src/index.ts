/**
 * @medai/my-course: the student's My course panel.
 *
 * One panel instance in the main area, restored with the layout; opened by default on the student's
 * first login, and afterwards from the launcher (category "Course"), the "My course" menu and the
 * command palette.
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, WidgetTracker } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { IStateDB } from '@jupyterlab/statedb';
import { ITranslator } from '@jupyterlab/translation';
import { MenuSvg } from '@jupyterlab/ui-components';
import { CourseApi, PanelError } from './api';
import { courseIcon } from './icon';
import { MyCoursePanel } from './panel';

export const COMMAND = 'medai-mycourse:open';
export const OPENED_KEY = '@medai/my-course:opened';
/** `lab?medai-assignment=<id>`: an LMS resource link for one assignment (medai.hub.lti) opens My course on it */
export const TARGET_PARAM = 'medai-assignment';

const plugin: JupyterFrontEndPlugin<void> = {
  id: '@medai/my-course:plugin',
  description: "The student's My course panel: assignments, deadlines, feedback and progress.",
  autoStart: true,
  requires: [ITranslator, IStateDB],
  optional: [ILayoutRestorer, ILauncher, IMainMenu, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator,
    state: IStateDB,
    restorer: ILayoutRestorer | null,
    launcher: ILauncher | null,
    mainMenu: IMainMenu | null,
    palette: ICommandPalette | null
  ) => {
    const trans = translator.load('medai_mycourse');
    const target = new URLSearchParams(window.location.search).get(TARGET_PARAM);
    const api = new CourseApi(app.serviceManager.serverSettings);
    const tracker = new WidgetTracker<MyCoursePanel>({ namespace: 'medai-mycourse' });
    let panel: MyCoursePanel | null = null;

    app.commands.addCommand(COMMAND, {
      label: args => (args['isLauncher'] ? trans.__('My course') : trans.__('Open My course')),
      caption: trans.__('Your assignments, deadlines, feedback and progress'),
      icon: courseIcon,
      execute: args => {
        const activate = args['activate'] !== false;
        if (!panel || panel.isDisposed) {
          panel = new MyCoursePanel({ api, translator, commands: app.commands, target });
          void tracker.add(panel);
        }
        if (!panel.isAttached) {
          app.shell.add(panel, 'main', { rank: 0, activate });
        } else {
          void panel.refresh();
        }
        if (activate) {
          app.shell.activateById(panel.id);
        }
      }
    });

    if (restorer) {
      void restorer.restore(tracker, { command: COMMAND, name: () => 'my-course' });
    }
    if (launcher) {
      launcher.add({ command: COMMAND, args: { isLauncher: true }, category: trans.__('Course'), rank: 0 });
    }
    if (palette) {
      palette.addItem({ command: COMMAND, category: trans.__('Course') });
    }
    if (mainMenu) {
      const menu = new MenuSvg({ commands: app.commands });
      menu.id = 'medai-mycourse-menu';
      menu.title.label = trans.__('My course');
      menu.addItem({ command: COMMAND });
      mainMenu.addMenu(menu, true, { rank: 1000 });
    }

    // The first time a student opens JupyterLab, the panel opens by itself (not for staff: 403); a link to
    // one assignment opens it every time, in front.
    void Promise.all([state.fetch(OPENED_KEY), app.restored]).then(async ([opened]) => {
      if (target !== null) {
        await app.commands.execute(COMMAND, { activate: true });
        panel?.showAssignment(target);
        return;
      }
      if (opened !== undefined) {
        return;
      }
      try {
        await api.payload();
      } catch (err) {
        if (err instanceof PanelError && err.kind === 'forbidden') {
          await state.save(OPENED_KEY, false);
        }
        return; // the course service is down: try again next time
      }
      if (!panel || !panel.isAttached) {
        // a student who already opened something (a notebook, nbgrader's list) keeps it in front
        const current = app.shell.currentWidget;
        const busy = !!current && !current.node.querySelector('.jp-Launcher');
        await app.commands.execute(COMMAND, { activate: !busy });
      }
      await state.save(OPENED_KEY, true);
    });
  }
};

export default plugin;
