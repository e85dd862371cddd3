/**
 * "My progress": completion with a bar, weighted score and standing, competencies as coloured chips,
 * what is overdue, and the final percent per graded assignment as a small plot.
 */
import { IPayload, Level } from './api';
import { h } from './dom';
import { Format } from './format';
import { seriesPlot } from './plot';

export function renderProgress(payload: IPayload, fmt: Format): HTMLElement {
  const trans = fmt.trans;
  const p = payload.progress;
  const titleOf = new Map(payload.assignments.map(a => [a.id, fmt.titles(a.title, a.title_ko)[0]]));
  const share = Math.round(Math.min(1, Math.max(0, p.completion)) * 100);

  const levels: { [key in Level]: string } = {
    mastered: trans.__('mastered'),
    developing: trans.__('developing'),
    not_yet: trans.__('not yet'),
    not_assessed: trans.__('not assessed')
  };

  const stat = (key: string, label: string, value: string, help: string) =>
    h(
      'div',
      { class: 'medai-MyCourse-stat', 'data-stat': key, title: help },
      h('div', { class: 'medai-MyCourse-statValue' }, value),
      h('div', { class: 'medai-MyCourse-statLabel' }, label)
    );

  const chips = p.competencies.map(c => {
    const [title] = fmt.titles(c.title, c.title_ko);
    const level = levels[c.level] ?? c.level;
    return h(
      'span',
      {
        class: `medai-MyCourse-chip medai-MyCourse-chip--${c.level.replace(/_/g, '-')}`,
        'data-competency': c.id,
        'data-level': c.level,
        title: c.percent === null ? `${c.id}: ${level}` : `${c.id}: ${level}, ${fmt.percent(c.percent)}`
      },
      h('span', { class: 'medai-MyCourse-chipTitle' }, title),
      h('span', { class: 'medai-MyCourse-chipLevel' }, level)
    );
  });

  const overdue = p.overdue.length
    ? h(
        'div',
        { class: 'medai-MyCourse-overdue', 'data-section': 'overdue' },
        h('h4', {}, trans._n('Overdue: %1 assignment', 'Overdue: %1 assignments', p.overdue.length)),
        h(
          'ul',
          {},
          p.overdue.map(id => h('li', { 'data-assignment': id }, titleOf.get(id) ?? id))
        )
      )
    : h('div', { class: 'medai-MyCourse-muted', 'data-section': 'overdue' }, trans.__('Nothing overdue.'));

  const plot = p.series.length
    ? seriesPlot(
        p.series.map(s => ({ label: s.assignment, due: s.due, value: s.final_percent })),
        {
          title: trans.__('Final score per graded assignment, by deadline (0–100%)'),
          tick: iso => fmt.shortDate(iso),
          describe: pt => `${titleOf.get(pt.label) ?? pt.label}: ${fmt.percent(pt.value)}`
        }
      )
    : h('div', { class: 'medai-MyCourse-muted' }, trans.__('No graded work yet.'));

  return h(
    'section',
    { class: 'medai-MyCourse-progress', 'data-section': 'progress' },
    h('h3', {}, trans.__('My progress')),
    h(
      'div',
      { class: 'medai-MyCourse-stats' },
      h(
        'div',
        { class: 'medai-MyCourse-stat medai-MyCourse-completion', 'data-stat': 'completion' },
        h('div', { class: 'medai-MyCourse-statValue' }, trans.__('%1 of %2 done', p.completed, p.total)),
        h(
          'div',
          {
            class: 'medai-MyCourse-bar',
            role: 'progressbar',
            'aria-valuemin': 0,
            'aria-valuemax': p.total,
            'aria-valuenow': p.completed
          },
          h('div', { class: 'medai-MyCourse-barFill', style: `width: ${share}%` })
        ),
        h('div', { class: 'medai-MyCourse-statLabel' }, trans.__('Completed'))
      ),
      stat(
        'weighted',
        trans.__('Weighted score'),
        fmt.percent(p.weighted_score),
        trans.__('Points-weighted mean of your final scores over graded work')
      ),
      stat(
        'standing',
        trans.__('Standing'),
        fmt.percent(p.standing),
        trans.__('The same, with overdue work you have not submitted counted as 0')
      )
    ),
    h('h4', {}, trans.__('Competencies')),
    h('div', { class: 'medai-MyCourse-chips', 'data-section': 'competencies' }, chips),
    overdue,
    h('h4', {}, trans.__('Scores over time')),
    h('div', { class: 'medai-MyCourse-plotBox', 'data-section': 'series' }, plot)
  );
}
