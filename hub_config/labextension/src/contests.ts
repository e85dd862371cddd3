/**
 * My course's Contests section: the student's open contests (title, phase, team, submissions left today or
 * when the next is allowed, the team's latest public scores) and a Submit action that sends a notebook (or a
 * predictions file) from the student's home to the contest service. While a submission runs the section
 * polls every few seconds and shows the public score when it arrives, or the reason it was refused.
 * It keeps its own node, so the path a student typed survives the panel's re-rendering.
 */
import { ContestApi, IContest, SubmitAnswer } from './contestapi';
import { h } from './dom';
import { Format } from './format';

export const CONTEST_POLL_MS = 5000;

export class ContestsSection {
  readonly node = h('section', { class: 'medai-MyCourse-contests', 'data-section': 'contests', hidden: true });

  constructor(
    private readonly _api: ContestApi,
    private readonly _fmt: () => Format
  ) {}

  dispose(): void {
    window.clearTimeout(this._timer);
    this._disposed = true;
  }

  async refresh(): Promise<void> {
    try {
      this._contests = await this._api.mine();
    } catch {
      this._contests = this._contests ?? null; // keep what was shown; the next poll tries again
    }
    for (const c of this._contests ?? []) {
      const status = this._status.get(c.id);
      if (status?.kind === 'running' && !c.running && !this._posting.has(c.id)) {
        this._status.set(c.id, c.refused ? { kind: 'refused', message: c.refused } : this._latest(c));
      }
    }
    this.render();
    this._schedule();
  }

  private _latest(c: IContest): SubmitAnswer {
    const last = c.latest[0];
    if (!last) {
      return { kind: 'running' };
    }
    return { kind: 'done', id: last.id, status: last.status, public: last.public, summary: last.summary };
  }

  private _schedule(): void {
    window.clearTimeout(this._timer);
    const running = (this._contests ?? []).some(c => c.running) || [...this._status.values()].some(s => s.kind === 'running');
    if (!this._disposed && running) {
      this._timer = window.setTimeout(() => void this.refresh(), CONTEST_POLL_MS);
    }
  }

  private async _submit(c: IContest): Promise<void> {
    const path = (this._paths.get(c.id) ?? '').trim();
    const trans = this._fmt().trans;
    if (!path) {
      this._status.set(c.id, { kind: 'refused', message: trans.__('Type the path of the file in your home first.') });
      this.render();
      return;
    }
    this._status.set(c.id, { kind: 'running' });
    this.render();
    let answer: SubmitAnswer;
    this._posting.add(c.id); // until the service answers, a poll does not know of this submission yet
    try {
      answer = await this._api.submit(c.id, path);
    } catch (err) {
      answer = { kind: 'refused', message: trans.__('The contest service is not answering; try again shortly') };
    } finally {
      this._posting.delete(c.id);
    }
    this._status.set(c.id, answer);
    await this.refresh();
  }

  render(): void {
    const contests = this._contests;
    this.node.hidden = !contests || contests.length === 0;
    if (!contests || !contests.length) {
      this.node.replaceChildren();
      return;
    }
    const fmt = this._fmt();
    this.node.replaceChildren(
      h('h3', { class: 'medai-MyCourse-sectionTitle' }, fmt.trans.__('Contests')),
      ...contests.map(c => this._card(c, fmt))
    );
  }

  private _card(c: IContest, fmt: Format): HTMLElement {
    const trans = fmt.trans;
    const [title, subtitle] = fmt.titles(c.title, c.title_ko);
    const [phase] = fmt.titles(c.phase.title, c.phase.title_ko);
    const status = this._status.get(c.id);
    const running = c.running || status?.kind === 'running';
    const lines: HTMLElement[] = [
      h('div', { class: 'medai-MyCourse-meta' }, h('span', { 'data-phase': c.phase.id }, trans.__('Phase: %1, until %2', phase, fmt.date(c.phase.ends))))
    ];
    if (c.team) {
      lines.push(h('div', { 'data-team': c.team }, trans.__('Team %1: %2', c.team, c.members.join(', '))));
      lines.push(
        c.next_allowed
          ? h('div', { 'data-left': '0' }, trans.__('No submissions left today; the next is allowed from %1', fmt.date(c.next_allowed)))
          : h('div', { 'data-left': String(c.left_today) }, trans.__('Submissions left today: %1 of %2', String(c.left_today), String(c.cap)))
      );
    } else {
      lines.push(
        h(
          'div',
          { 'data-team': '' },
          trans.__('You are in no team yet: create or join one on the contest page.'),
          ' ',
          h('a', { href: c.page, target: '_blank', rel: 'noopener' }, trans.__('Open the contest page'))
        )
      );
    }
    if (c.latest.length) {
      lines.push(
        h(
          'ul',
          { class: 'medai-MyCourse-contestLatest', 'data-latest': 'true' },
          c.latest.map(s =>
            h(
              'li',
              { 'data-submission': String(s.id), 'data-status': s.status },
              s.public !== null
                ? trans.__('#%1, %2: public score %3', String(s.id), fmt.date(s.submitted), s.public.toFixed(4))
                : trans.__('#%1, %2: failed (%3)', String(s.id), fmt.date(s.submitted), s.summary)
            )
          )
        )
      );
    }
    const input = h('input', {
      type: 'text',
      class: 'jp-mod-styled medai-MyCourse-contestPath',
      'data-contest-path': c.id,
      'aria-label': trans.__('File to submit, in your home'),
      placeholder: c.kind === 'notebook' ? trans.__('e.g. contest/solution.ipynb') : trans.__('e.g. contest/predictions.csv')
    });
    input.value = this._paths.get(c.id) ?? '';
    input.addEventListener('input', () => this._paths.set(c.id, input.value));
    const button = h(
      'button',
      {
        type: 'button',
        class: 'jp-mod-styled jp-mod-accept medai-MyCourse-button',
        'data-action': 'contest-submit',
        disabled: running || !c.team
      },
      trans.__('Submit to the contest')
    );
    button.addEventListener('click', () => void this._submit(c));
    return h(
      'div',
      { class: 'medai-MyCourse-contest', 'data-contest': c.id, 'aria-busy': running ? 'true' : undefined },
      h('div', { class: 'medai-MyCourse-title' }, title),
      subtitle ? h('div', { class: 'medai-MyCourse-subtitle' }, subtitle) : null,
      lines,
      h('div', { class: 'medai-MyCourse-actions' }, input, button),
      this._statusLine(c, status, running, fmt)
    );
  }

  private _statusLine(c: IContest, status: SubmitAnswer | undefined, running: boolean, fmt: Format): HTMLElement | null {
    const trans = fmt.trans;
    if (running) {
      return h(
        'div',
        { class: 'medai-MyCourse-grading', role: 'status', 'data-contest-status': 'running' },
        h('span', { class: 'medai-MyCourse-spinner', 'aria-hidden': 'true' }),
        trans.__('running your submission…')
      );
    }
    if (status?.kind === 'refused') {
      return h('div', { class: 'medai-MyCourse-error', role: 'alert', 'data-contest-status': 'refused' }, status.message);
    }
    if (status?.kind === 'done') {
      return status.public !== null
        ? h('div', { role: 'status', 'data-contest-status': 'scored', 'data-public': String(status.public) },
            trans.__('Submission #%1: public score %2', String(status.id), status.public.toFixed(4)))
        : h('div', { class: 'medai-MyCourse-error', role: 'alert', 'data-contest-status': 'failed' },
            trans.__('Submission #%1 failed: %2', String(status.id), status.summary));
    }
    return null;
  }

  private _contests: IContest[] | null = null;
  private _paths = new Map<string, string>();
  private _status = new Map<string, SubmitAnswer>();
  private _posting = new Set<string>();
  private _timer = 0;
  private _disposed = false;
}
