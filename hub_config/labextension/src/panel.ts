/**
 * The My course panel: a Lumino widget that renders the payload, keeps it fresh (every 5 s while a
 * submission is being graded, every 60 s otherwise and when the panel is shown again), runs nbgrader's
 * exchange operations from the row buttons and tells the student when grading is done.
 */
import { Notification } from '@jupyterlab/apputils';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { CommandRegistry } from '@lumino/commands';
import { CourseApi, IAssignment, IPayload, NbgraderError, PanelError } from './api';
import { ContestApi } from './contestapi';
import { ContestsSection } from './contests';
import { confirmSubmit, showNbgraderError } from './dialogs';
import { Format } from './format';
import { courseIcon } from './icon';
import { Action, isGrading, notebooksOf } from './rows';
import { renderPanel } from './view';

export const GRADING_POLL_MS = 5000;
export const IDLE_POLL_MS = 60000;
/** how long a row waits, as "submitted", for the course service to see a submission nbgrader took */
export const AWAIT_GRADING_MS = 30 * 60 * 1000;
/** the submission's timestamp (nbgrader's) may precede the panel's estimate of the server clock a little */
export const SUBMIT_CLOCK_SLACK_MS = 120 * 1000;
const TICK_MS = 30000;

export interface IPanelOptions {
  api: CourseApi;
  translator: ITranslator;
  commands: CommandRegistry;
  /** an assignment to show (a link to it opened JupyterLab) */
  target?: string | null;
}

export class MyCoursePanel extends Widget {
  constructor(options: IPanelOptions) {
    super();
    this._api = options.api;
    this._commands = options.commands;
    this._language = options.translator.languageCode || 'en';
    this._trans = options.translator.load('medai_mycourse');
    this.id = 'medai-mycourse';
    this.addClass('medai-MyCourse');
    this.title.label = this._trans.__('My course');
    this.title.caption = this._trans.__('Your assignments, deadlines, feedback and progress');
    this.title.icon = courseIcon;
    this.title.closable = true;
    this.node.tabIndex = -1;
    this._fmt = new Format(this._trans, this._language, 'UTC'); // until the payload names the course's zone
    this._target = options.target ?? null;
    this._contests = new ContestsSection(new ContestApi(options.api.settings, this._language), () => this._fmt);
    this._render();
    void this.refresh();
    this._tick = window.setInterval(() => this._updateCountdowns(), TICK_MS);
  }

  /** The payload last received (null before the first answer). */
  get payload(): IPayload | null {
    return this._payload;
  }

  /** Shows one assignment's row (scrolled to, highlighted), or says that the student has no such assignment. */
  showAssignment(id: string): void {
    this._target = id;
    this._scrolled = false;
    this._render();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    window.clearTimeout(this._timer);
    window.clearInterval(this._tick);
    this._contests.dispose();
    super.dispose();
  }

  /** Reloads the payload (one request at a time) and schedules the next poll. */
  refresh(): Promise<void> {
    if (!this._inFlight) {
      void this._contests.refresh();
      this._inFlight = this._load().finally(() => {
        this._inFlight = null;
        this._schedule();
      });
    }
    return this._inFlight;
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._scrollToTarget();
    if (Date.now() - this._loadedAt > GRADING_POLL_MS) {
      void this.refresh();
    }
  }

  private async _load(): Promise<void> {
    try {
      this._apply(await this._api.payload());
      this._error = null;
      this._okAt = Date.now();
    } catch (err) {
      this._error = err instanceof PanelError ? err : new PanelError('unavailable', String(err));
      if (this._error.kind === 'forbidden') {
        this._payload = null; // nothing of a student's is shown to someone who is not one
      }
    }
    this._loadedAt = Date.now();
    this._render();
  }

  private _apply(payload: IPayload): void {
    const skew = Date.parse(payload.now) - Date.now();
    this._fmt = new Format(this._trans, this._language, payload.course.timezone, Number.isFinite(skew) ? skew : 0);
    const before = this._payload ? new Map(this._payload.assignments.map(a => [a.id, a.state])) : null;
    this._skew = Number.isFinite(skew) ? skew : 0;
    const serverNow = Date.now() + this._skew;
    for (const a of payload.assignments) {
      const sent = this._awaiting.get(a.id);
      if (sent !== undefined && !(a.submitted_at && Date.parse(a.submitted_at) >= sent - SUBMIT_CLOCK_SLACK_MS)) {
        // nbgrader took the submission, but the course service has not seen it yet (it reads the exchange
        // every few seconds): the row is what it is for the student, submitted and waiting for grading
        if (serverNow - sent < AWAIT_GRADING_MS) {
          a.state = 'submitted';
          a.submitted_at = new Date(sent).toISOString();
          a.score = null;
          continue;
        }
        this._awaiting.delete(a.id);
      }
      const done = a.state === 'graded' || a.state === 'needs_manual_grading';
      const was = before?.get(a.id);
      if (done && (was === 'submitted' || sent !== undefined)) {
        this._notifyGraded(a);
      }
      if (done || a.state !== 'submitted') {
        this._awaiting.delete(a.id);
      }
    }
    this._payload = payload;
  }

  private _schedule(): void {
    window.clearTimeout(this._timer);
    if (this.isDisposed) {
      return;
    }
    const p = this._payload;
    const grading = !!p && p.assignments.some(a => isGrading(a, p.course.on_submit));
    const delay = grading || this._awaiting.size ? GRADING_POLL_MS : IDLE_POLL_MS;
    this._timer = window.setTimeout(() => {
      if (document.visibilityState === 'hidden' && !grading) {
        this._schedule();
        return;
      }
      void this.refresh();
    }, delay);
  }

  private _notifyGraded(a: IAssignment): void {
    const trans = this._trans;
    const fmt = this._fmt;
    const [title] = fmt.titles(a.title, a.title_ko);
    let message: string;
    if (a.state === 'needs_manual_grading') {
      message = trans.__('%1: automatic grading done; waiting for hand grading', title);
    } else if (a.score_hidden_until) {
      message = trans.__('%1: graded; the score is shown after %2', title, fmt.date(a.score_hidden_until));
    } else if (a.score && a.score.penalty_percent > 0) {
      message = trans.__(
        '%1: graded %2/%3 (late penalty −%4 included)',
        title,
        fmt.number(a.score.points - a.score.penalty_points),
        fmt.number(a.score.max),
        fmt.percent(a.score.penalty_percent)
      );
    } else if (a.score) {
      message = trans.__('%1: graded %2/%3', title, fmt.number(a.score.points), fmt.number(a.score.max));
    } else {
      message = trans.__('%1: graded', title);
    }
    const options = {
      autoClose: 20000 as number | false,
      actions: [
        {
          label: trans.__('Open feedback'),
          caption: trans.__('Fetch the feedback and open it in a new browser tab'),
          callback: () => void this._openFeedback(a.id)
        }
      ]
    };
    Notification.success(message, options);
  }

  // ---- actions --------------------------------------------------------------------------------

  private _act(action: Action, a: IAssignment): void {
    switch (action) {
      case 'fetch':
        void this._busyWhile(a.id, () => this._fetch(a.id));
        break;
      case 'open':
        void this._open(a);
        break;
      case 'submit':
        void this._submit(a.id);
        break;
      case 'fetch-feedback':
      case 'open-feedback':
        void this._openFeedback(a.id);
        break;
    }
  }

  private async _busyWhile(id: string, work: () => Promise<void>): Promise<void> {
    this._busy.add(id);
    this._render();
    try {
      await work();
    } finally {
      this._busy.delete(id);
      this._render();
    }
  }

  private _row(id: string): IAssignment | undefined {
    return this._payload?.assignments.find(a => a.id === id);
  }

  private async _fetch(id: string): Promise<void> {
    const course = this._payload?.course.id ?? '';
    try {
      await this._api.nbgrader('fetch', course, id);
    } catch (err) {
      await this._nbgraderFailed(this._trans.__('Fetching did not work'), err);
      return;
    }
    await this.refresh();
    const row = this._row(id);
    if (row && notebooksOf(row).length === 0 && row.local?.status !== 'fetched') {
      await showNbgraderError(
        this._trans.__('Fetching did not work'),
        this._trans.__('nbgrader did not fetch %1; try again in a minute.', id),
        this._fmt
      );
    }
  }

  private async _open(a: IAssignment): Promise<void> {
    const first = notebooksOf(a)[0];
    if (!first) {
      return;
    }
    try {
      await this._commands.execute('docmanager:open', { path: first.path });
    } catch (err) {
      await this._nbgraderFailed(this._trans.__('Opening did not work'), err);
    }
  }

  private async _submit(id: string): Promise<void> {
    // what submitting costs is decided now, not when the panel last polled
    await this.refresh();
    const row = this._row(id);
    const payload = this._payload;
    if (!row || !payload || this._error) {
      return;
    }
    if (!(await confirmSubmit(row, this._fmt, payload.course.on_submit))) {
      return;
    }
    await this._busyWhile(id, async () => {
      const sent = Date.now() + this._skew; // the server's clock
      try {
        await this._api.nbgrader('submit', payload.course.id, id);
      } catch (err) {
        await this._nbgraderFailed(this._trans.__('Submitting did not work'), err);
        return;
      }
      if (payload.course.on_submit) {
        this._awaiting.set(id, sent);
      }
      await this.refresh();
    });
  }

  private async _openFeedback(id: string): Promise<void> {
    const before = this._row(id);
    const needsFetch = !before?.local?.feedback?.path || !!before?.local?.feedback?.exchange;
    // a tab opened within the click survives popup blockers; it is pointed at the feedback below
    const tab = needsFetch ? window.open('', '_blank') : null;
    let path = before?.local?.feedback?.path ?? null;
    let failed = false;
    if (needsFetch) {
      await this._busyWhile(id, async () => {
        try {
          await this._api.nbgrader('fetch_feedback', this._payload?.course.id ?? '', id);
        } catch (err) {
          failed = true;
          tab?.close();
          await this._nbgraderFailed(this._trans.__('Fetching feedback did not work'), err);
          return;
        }
        await this.refresh();
        path = this._row(id)?.local?.feedback?.path ?? null;
      });
    }
    if (failed) {
      return;
    }
    if (!path) {
      tab?.close();
      await showNbgraderError(
        this._trans.__('No feedback yet'),
        this._trans.__('Your instructor has not returned feedback for %1 yet.', id),
        this._fmt
      );
      return;
    }
    const url = URLExt.join(PageConfig.getBaseUrl(), 'files', URLExt.encodeParts(path));
    if (tab) {
      tab.opener = null;
      tab.location.href = url;
    } else {
      window.open(url, '_blank', 'noopener');
    }
  }

  private async _nbgraderFailed(title: string, err: unknown): Promise<void> {
    const detail = err instanceof NbgraderError ? err.detail : String(err);
    await showNbgraderError(title, detail, this._fmt);
  }

  // ---- rendering ------------------------------------------------------------------------------

  private _updateCountdowns(): void {
    this.node.querySelectorAll<HTMLElement>('[data-countdown]').forEach(node => {
      const text = this._fmt.countdown(node.dataset.countdown || null);
      node.textContent = text ?? '';
      node.hidden = text === null;
    });
  }

  private _render(): void {
    this.node.replaceChildren(
      ...renderPanel({
        payload: this._payload,
        error: this._error,
        updatedAt: this._okAt,
        busy: this._busy,
        fmt: this._fmt,
        refresh: () => void this.refresh(),
        act: (action, a) => this._act(action, a),
        target: this._target
      }),
      this._contests.node
    );
    this._contests.render(); // in the course's time zone once the payload named it
    this._scrollToTarget();
  }

  /** Brings the row a link asked for into view, once (the student may scroll away afterwards). */
  private _scrollToTarget(): void {
    const row = this.node.querySelector<HTMLElement>('.medai-MyCourse-row[data-target]');
    if (row && !this._scrolled && this.isVisible) {
      this._scrolled = true;
      row.scrollIntoView({ block: 'center' });
    }
  }

  private _api: CourseApi;
  private _commands: CommandRegistry;
  private _language: string;
  private _trans: TranslationBundle;
  private _fmt: Format;
  private _payload: IPayload | null = null;
  private _error: PanelError | null = null;
  private _busy = new Set<string>();
  /** assignment id -> when it was submitted (server clock, ms), until the service shows it graded */
  private _awaiting = new Map<string, number>();
  private _inFlight: Promise<void> | null = null;
  private _loadedAt = 0;
  /** the server's clock minus the browser's (ms), from the last payload's `now` */
  private _skew = 0;
  private _okAt = 0;
  private _target: string | null = null;
  private _contests: ContestsSection;
  private _scrolled = false;
  private _timer = 0;
  private _tick = 0;
}
