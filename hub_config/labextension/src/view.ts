/**
 * The panel's content as a function of what it knows: the header (course, student, zone, last update,
 * refresh button), an error banner, notes on withdrawn work, the assignments grouped by module, and
 * My progress. Pure DOM building; the panel owns state and actions.
 */
import { refreshIcon } from '@jupyterlab/ui-components';
import { IAssignment, IPayload, PanelError } from './api';
import { Child, h } from './dom';
import { Format } from './format';
import { renderProgress } from './progress';
import { Action, renderRow } from './rows';

export interface IViewState {
  payload: IPayload | null;
  error: PanelError | null;
  /** browser time of the last payload received */
  updatedAt: number;
  busy: ReadonlySet<string>;
  fmt: Format;
  refresh: () => void;
  act: (action: Action, assignment: IAssignment) => void;
  /** the assignment a link asked for (its row is highlighted), or null */
  target: string | null;
}

export function renderPanel(s: IViewState): HTMLElement[] {
  const { payload: p, error, fmt } = s;
  const trans = fmt.trans;
  const parts: Child[] = [header(s)];
  if (error) {
    const message =
      error.kind === 'forbidden'
        ? trans.__('This panel is for students')
        : trans.__('The course service is not answering; try again shortly');
    parts.push(h('div', { class: 'medai-MyCourse-error', role: 'alert', 'data-error': error.kind }, message));
  } else if (!p) {
    parts.push(h('div', { class: 'medai-MyCourse-muted', 'data-loading': 'true' }, trans.__('Loading…')));
  }
  if (p && error?.kind !== 'forbidden') {
    parts.push(
      h(
        'div',
        { class: 'medai-MyCourse-body' },
        h(
          'div',
          { class: 'medai-MyCourse-assignments', 'data-section': 'assignments' },
          targetMissing(s, p),
          withdrawn(p, fmt),
          modules(s, p)
        ),
        renderProgress(p, fmt)
      )
    );
  }
  return parts.filter((x): x is HTMLElement => x instanceof HTMLElement);
}

function header(s: IViewState): HTMLElement {
  const { payload: p, fmt } = s;
  const trans = fmt.trans;
  const refresh = h(
    'button',
    {
      type: 'button',
      class: 'medai-MyCourse-refresh',
      'data-action': 'refresh',
      title: trans.__('Refresh'),
      'aria-label': trans.__('Refresh')
    },
    refreshIcon.element({ tag: 'span', elementPosition: 'center', height: '16px', width: '16px' })
  );
  refresh.addEventListener('click', () => s.refresh());
  if (!p) {
    return h(
      'header',
      { class: 'medai-MyCourse-header' },
      h('div', { class: 'medai-MyCourse-headerText' }, h('h2', {}, trans.__('My course'))),
      refresh
    );
  }
  const [title, subtitle] = fmt.titles(p.course.title, p.course.title_ko);
  const [track] = fmt.titles(p.student.track_title, p.student.track_title_ko);
  return h(
    'header',
    { class: 'medai-MyCourse-header' },
    h(
      'div',
      { class: 'medai-MyCourse-headerText' },
      h('h2', { class: 'medai-MyCourse-courseTitle' }, title),
      subtitle ? h('div', { class: 'medai-MyCourse-subtitle' }, subtitle) : null,
      h(
        'div',
        { class: 'medai-MyCourse-meta' },
        h('span', {}, p.student.name),
        h('span', {}, track),
        h('span', {}, trans.__('Term %1', p.course.term)),
        h('span', {}, trans.__('Times are in %1 (%2)', fmt.zone, p.course.timezone)),
        h('span', { 'data-updated': String(s.updatedAt) }, trans.__('Updated %1', fmt.time(s.updatedAt)))
      )
    ),
    refresh
  );
}

/** A link named an assignment that is not among the student's: say so rather than show nothing. */
function targetMissing(s: IViewState, p: IPayload): HTMLElement | null {
  if (s.target === null || p.assignments.some(a => a.id === s.target)) {
    return null;
  }
  return h(
    'div',
    { class: 'medai-MyCourse-error', role: 'alert', 'data-target-missing': s.target },
    s.fmt.trans.__(
      'The link you followed opens assignment "%1", which is not one of your assignments (it does not exist, or belongs to another track). Your assignments are listed below.',
      s.target
    )
  );
}

function withdrawn(p: IPayload, fmt: Format): HTMLElement | null {
  if (!p.withdrawn.length) {
    return null;
  }
  return h(
    'div',
    { class: 'medai-MyCourse-notes', 'data-section': 'withdrawn' },
    p.withdrawn.map(id =>
      h(
        'div',
        { class: 'medai-MyCourse-note', 'data-withdrawn': id },
        fmt.trans.__('%1 is no longer part of the course (removed from course.yaml)', id)
      )
    )
  );
}

/** The rows grouped by module in course order; rows of a module the payload does not list come last. */
function modules(s: IViewState, p: IPayload): HTMLElement[] {
  const { fmt } = s;
  const known = new Set(p.modules.map(m => m.id));
  const groups = p.modules.map(m => ({ id: m.id, titles: fmt.titles(m.title, m.title_ko) }));
  if (p.assignments.some(a => !known.has(a.module))) {
    groups.push({ id: '', titles: [fmt.trans.__('Other'), ''] });
  }
  const out: HTMLElement[] = [];
  for (const g of groups) {
    const rows = p.assignments.filter(a => (g.id ? a.module === g.id : !known.has(a.module)));
    if (!rows.length) {
      continue;
    }
    out.push(
      h(
        'section',
        { class: 'medai-MyCourse-module', 'data-module': g.id },
        h(
          'h3',
          { class: 'medai-MyCourse-moduleTitle' },
          g.titles[0],
          g.titles[1] ? h('span', { class: 'medai-MyCourse-subtitle' }, g.titles[1]) : null
        ),
        rows.map(a =>
          renderRow(a, {
            fmt,
            gradeOnSubmit: p.course.on_submit,
            busy: s.busy.has(a.id),
            act: s.act,
            target: a.id === s.target
          })
        )
      )
    );
  }
  if (!out.length) {
    out.push(h('div', { class: 'medai-MyCourse-muted' }, fmt.trans.__('No assignments yet.')));
  }
  return out;
}
