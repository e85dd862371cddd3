/**
 * One assignment row: titles, points, release and my deadline, badges, countdown, late policy, state
 * and the buttons that make sense in that state. Rows carry data-assignment and data-state, buttons
 * data-action, for people's tools and for tests.
 */
import { IAssignment } from './api';
import { Child, h } from './dom';
import { Format } from './format';

export type Action = 'fetch' | 'open' | 'submit' | 'fetch-feedback' | 'open-feedback';

export interface IRowContext {
  fmt: Format;
  /** course.on_submit: a submission is graded right away, so a submitted row is "grading…" */
  gradeOnSubmit: boolean;
  /** an action of this row is under way (buttons disabled) */
  busy: boolean;
  act: (action: Action, assignment: IAssignment) => void;
  /** a link opened the panel on this assignment: highlighted */
  target?: boolean;
}

/** Whether the row waits for grading on submit (the panel then polls every few seconds). */
export function isGrading(a: IAssignment, gradeOnSubmit: boolean): boolean {
  return gradeOnSubmit && a.state === 'submitted';
}

export function notebooksOf(a: IAssignment): { notebook_id: string; path: string }[] {
  return a.local?.notebooks ?? [];
}

function hasLocalCopy(a: IAssignment): boolean {
  return notebooksOf(a).length > 0 || a.local?.status === 'fetched' || a.local?.status === 'submitted';
}

export function renderRow(a: IAssignment, ctx: IRowContext): HTMLElement {
  const { fmt } = ctx;
  const trans = fmt.trans;
  const grading = isGrading(a, ctx.gradeOnSubmit);
  const [primary, secondary] = fmt.titles(a.title, a.title_ko);

  const badges: HTMLElement[] = [];
  if (a.extension) {
    badges.push(
      h(
        'span',
        {
          class: 'medai-MyCourse-badge medai-MyCourse-badge--extension',
          'data-badge': 'extension',
          title: trans.__('Your deadline was extended; the original deadline was %1', fmt.date(a.original_due))
        },
        trans.__('extension')
      )
    );
  }
  if (a.submitted_at && a.days_late > 0 && ['submitted', 'graded', 'needs_manual_grading'].includes(a.state)) {
    badges.push(
      h(
        'span',
        { class: 'medai-MyCourse-badge medai-MyCourse-badge--late', 'data-badge': 'late' },
        trans._n('late: %1 day', 'late: %1 days', a.days_late)
      )
    );
  }
  if (a.other_track) {
    badges.push(
      h('span', { class: 'medai-MyCourse-badge', 'data-badge': 'other-track' }, trans.__('other track'))
    );
  }

  const meta: HTMLElement[] = [h('span', {}, trans._n('%1 point', '%1 points', a.points))];
  if (a.state === 'not_released') {
    meta.push(h('span', {}, trans.__('Opens %1', fmt.date(a.release))));
  } else if (a.release) {
    meta.push(h('span', {}, trans.__('Released %1', fmt.date(a.release))));
  }
  const dueText = a.extension
    ? trans.__('Your deadline: %1 (extended from %2)', fmt.date(a.due), fmt.date(a.original_due))
    : trans.__('Your deadline: %1', fmt.date(a.due));
  const counting = !['graded', 'needs_manual_grading', 'not_released'].includes(a.state);
  const countdown = counting ? fmt.countdown(a.due) : null;

  return h(
    'div',
    {
      class: `medai-MyCourse-row medai-MyCourse-row--${a.state.replace(/_/g, '-')}${
        ctx.target ? ' medai-MyCourse-row--target' : ''
      }`,
      'data-assignment': a.id,
      'data-target': ctx.target ? 'true' : undefined,
      'data-state': a.state,
      'data-grading': grading ? 'true' : undefined,
      'aria-busy': ctx.busy ? 'true' : undefined
    },
    h(
      'div',
      { class: 'medai-MyCourse-rowMain' },
      h(
        'div',
        { class: 'medai-MyCourse-titleLine' },
        h('span', { class: 'medai-MyCourse-title' }, primary),
        badges
      ),
      secondary ? h('div', { class: 'medai-MyCourse-subtitle' }, secondary) : null,
      h(
        'div',
        { class: 'medai-MyCourse-dueLine' },
        h('span', { class: 'medai-MyCourse-due', 'data-due': a.due ?? '' }, dueText),
        counting
          ? h(
              'span',
              { class: 'medai-MyCourse-countdown', 'data-countdown': a.due ?? '', hidden: countdown === null },
              countdown ?? ''
            )
          : null
      ),
      h('div', { class: 'medai-MyCourse-meta' }, meta),
      a.state === 'not_released' ? null : h('div', { class: 'medai-MyCourse-policy' }, fmt.latePolicy(a.late_policy))
    ),
    h(
      'div',
      { class: 'medai-MyCourse-side' },
      h('div', { class: 'medai-MyCourse-status', 'data-status': a.state }, statusOf(a, ctx, grading)),
      h('div', { class: 'medai-MyCourse-actions' }, buttonsOf(a, ctx))
    )
  );
}

function statusOf(a: IAssignment, ctx: IRowContext, grading: boolean): Child[] {
  const { fmt } = ctx;
  const trans = fmt.trans;
  const line = (text: string, cls = '') => h('div', { class: `medai-MyCourse-stateText ${cls}`.trim() }, text);
  const submitted = a.submitted_at ? line(trans.__('Submitted %1', fmt.date(a.submitted_at)), 'medai-MyCourse-muted') : null;
  switch (a.state) {
    case 'not_released':
      return [line(trans.__('Not released yet'))];
    case 'not_fetched':
      return [line(trans.__('Not fetched yet'))];
    case 'fetched':
      return [line(trans.__('Fetched, not submitted yet'))];
    case 'submitted':
      return [
        line(trans.__('Submitted %1', fmt.date(a.submitted_at))),
        grading
          ? h(
              'div',
              { class: 'medai-MyCourse-grading', role: 'status' },
              h('span', { class: 'medai-MyCourse-spinner', 'aria-hidden': 'true' }),
              trans.__('grading…')
            )
          : line(trans.__('Waiting for grading'), 'medai-MyCourse-muted')
      ];
    case 'graded':
      return [graded(a, fmt), submitted];
    case 'needs_manual_grading':
      return [line(trans.__('Waiting for hand grading')), graded(a, fmt, true), submitted];
    case 'late':
      return [
        line(trans.__('Late: not submitted')),
        line(
          trans.__('Submitting now loses %1 of your score', fmt.percent(a.submit_now.penalty_percent)),
          'medai-MyCourse-muted'
        )
      ];
    case 'missed':
      return [
        line(trans.__('Missed')),
        line(trans.__('The deadline has passed; a submission now would earn nothing'), 'medai-MyCourse-muted')
      ];
    default:
      return [line(a.state)];
  }
}

/** The score that counts; `soFar`: written answers still wait for the instructor (a provisional total). */
function graded(a: IAssignment, fmt: Format, soFar = false): HTMLElement {
  const trans = fmt.trans;
  if (a.score_hidden_until) {
    return h(
      'div',
      { class: 'medai-MyCourse-stateText', 'data-score': 'hidden' },
      trans.__('Graded — score shown after %1', fmt.date(a.score_hidden_until))
    );
  }
  if (!a.score) {
    return h('div', { class: 'medai-MyCourse-stateText' }, soFar ? '' : trans.__('Graded'));
  }
  const s = a.score;
  // the points that count (after the stored late penalty) first, as the feedback and the staff page show them
  const counted = fmt.number(s.points - s.penalty_points);
  const main = soFar
    ? trans.__('So far: %1 / %2', counted, fmt.number(s.max))
    : trans.__('Graded: %1 / %2', counted, fmt.number(s.max));
  const detail =
    s.penalty_percent > 0
      ? trans.__('%1 before the late penalty (−%2)', fmt.number(s.points), fmt.percent(s.penalty_percent))
      : fmt.percent(s.final_percent);
  return h(
    'div',
    { class: 'medai-MyCourse-stateText medai-MyCourse-score', 'data-score': String(s.final_percent) },
    h('strong', {}, main),
    ' ',
    h('span', { class: s.penalty_percent > 0 ? 'medai-MyCourse-penalty' : 'medai-MyCourse-muted' }, detail)
  );
}

function buttonsOf(a: IAssignment, ctx: IRowContext): HTMLElement[] {
  const trans = ctx.fmt.trans;
  const button = (action: Action, label: string, primary = false, title?: string) => {
    const node = h(
      'button',
      {
        type: 'button',
        class: `jp-mod-styled medai-MyCourse-button${primary ? ' jp-mod-accept' : ''}`,
        'data-action': action,
        title,
        disabled: ctx.busy
      },
      label
    );
    node.addEventListener('click', () => ctx.act(action, a));
    return node;
  };
  if (a.state === 'not_released') {
    return [];
  }
  const out: HTMLElement[] = [];
  const feedback = a.local?.feedback;
  const isGraded = a.state === 'graded' || a.state === 'needs_manual_grading';
  if (feedback?.path) {
    out.push(button('open-feedback', trans.__('Open feedback'), isGraded));
  } else if (feedback?.exchange) {
    out.push(button('fetch-feedback', trans.__('Fetch feedback'), isGraded));
  }
  if (!hasLocalCopy(a)) {
    out.push(button('fetch', trans.__('Fetch'), !isGraded && a.state !== 'missed'));
    return out;
  }
  if (notebooksOf(a).length > 0) {
    out.push(button('open', trans.__('Open')));
  }
  const again = a.submitted_at !== null || a.state === 'submitted' || isGraded;
  out.push(
    button(
      'submit',
      again ? trans.__('Submit again') : trans.__('Submit'),
      ['fetched', 'late'].includes(a.state)
    )
  );
  return out;
}
