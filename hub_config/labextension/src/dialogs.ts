/**
 * The panel's dialogs: what submitting now means (late: how much the policy takes; on time: when
 * hidden tests count) and nbgrader's errors in a line or two instead of a traceback.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { errorSummary, IAssignment } from './api';
import { h } from './dom';
import { Format } from './format';

function body(kind: string, paragraphs: (string | null)[]): Widget {
  const node = h(
    'div',
    { class: 'medai-MyCourse-dialog', 'data-dialog': kind },
    paragraphs.filter((p): p is string => !!p).map(p => h('p', {}, p))
  );
  return new Widget({ node });
}

/** The sentences of the submit dialog, separate from the dialog so that they can be read and tested. */
export function submitSentences(a: IAssignment, fmt: Format, gradeOnSubmit: boolean): string[] {
  const trans = fmt.trans;
  const now = a.submit_now;
  const out: string[] = [];
  if (now.late) {
    const penalty = now.penalty_percent;
    out.push(
      trans._n(
        '%1 day after your deadline (%2); the late policy takes %3 of your score.',
        '%1 days after your deadline (%2); the late policy takes %3 of your score.',
        now.days_late,
        fmt.date(a.due),
        fmt.percent(penalty)
      )
    );
    const cap = a.late_policy.cap_percent;
    if (cap !== null && cap !== undefined && cap < 100 && penalty >= cap) {
      out.push(trans.__('That is the cap: the late policy never takes more than %1.', fmt.percent(cap)));
    }
    if (penalty >= 100) {
      out.push(trans.__('This submission would earn no points.'));
    }
    if (a.submitted_at && a.days_late === 0) {
      out.push(
        trans.__(
          'It replaces your on-time submission of %1: the latest submission is the one that is graded.',
          fmt.date(a.submitted_at)
        )
      );
    }
  } else {
    out.push(
      trans.__(
        'Your deadline is %1. You may submit again until then; the latest submission before the deadline counts.',
        fmt.date(a.due)
      )
    );
    const hidden = a.hidden_tests;
    if (hidden.present !== false) {
      if (hidden.policy === 'after-due') {
        out.push(
          trans.__(
            'Hidden tests are graded now and their results appear in your feedback after %1.',
            fmt.date(hidden.shown_from ?? a.due)
          )
        );
      } else if (hidden.policy === 'never') {
        out.push(trans.__('Hidden tests are graded now; their results are never shown.'));
      } else {
        out.push(trans.__('Hidden tests are graded now and their results are shown in your feedback at once.'));
      }
    }
  }
  if (gradeOnSubmit) {
    out.push(trans.__('Grading starts when you submit; this panel shows the result when it is ready.'));
  }
  return out;
}

/** Asks before submitting; resolves true when the student chose to submit. */
export async function confirmSubmit(a: IAssignment, fmt: Format, gradeOnSubmit: boolean): Promise<boolean> {
  const trans = fmt.trans;
  const [title] = fmt.titles(a.title, a.title_ko);
  const late = a.submit_now.late;
  const result = await showDialog({
    title: late ? trans.__('Submit late: %1', title) : trans.__('Submit: %1', title),
    body: body(late ? 'submit-late' : 'submit', submitSentences(a, fmt, gradeOnSubmit)),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      late
        ? Dialog.warnButton({ label: trans.__('Submit late') })
        : Dialog.okButton({ label: trans.__('Submit') })
    ],
    defaultButton: late ? 0 : 1
  });
  return result.button.accept;
}

/** nbgrader's error, in the one or two lines that matter. */
export async function showNbgraderError(title: string, detail: string, fmt: Format): Promise<void> {
  const trans = fmt.trans;
  console.error(`${title}\n${detail}`);
  const lines = errorSummary(detail);
  await showDialog({
    title,
    body: body('error', [
      ...(lines.length ? lines : [trans.__('nbgrader gave no reason.')]),
      trans.__('If this keeps happening, tell your instructor what this window says.')
    ]),
    buttons: [Dialog.okButton({ label: trans.__('Close') })]
  });
}
