/**
 * The payload of GET <baseUrl>medai/my-course and the requests this panel makes: that endpoint and
 * nbgrader's own exchange operations (assignments/fetch, submit, fetch_feedback).
 * The shapes follow the contract between the front end and the back end (progress/my_course.py).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export type State =
  | 'not_released'
  | 'not_fetched'
  | 'fetched'
  | 'submitted'
  | 'graded'
  | 'needs_manual_grading'
  | 'late'
  | 'missed';

export type Level = 'mastered' | 'developing' | 'not_yet' | 'not_assessed';

export type HiddenPolicy = 'after-due' | 'always' | 'never';

export interface IScore {
  points: number;
  max: number;
  percent: number;
  final_percent: number;
  penalty_percent: number;
  penalty_points: number;
}

export interface ILocal {
  status: 'released' | 'fetched' | 'submitted' | null;
  notebooks: { notebook_id: string; path: string }[];
  feedback: { local: boolean; exchange: boolean; path: string | null };
}

export interface IAssignment {
  id: string;
  title: string;
  title_ko: string;
  module: string;
  points: number;
  other_track: boolean;
  release: string | null;
  due: string | null;
  original_due: string | null;
  extension: boolean;
  state: State;
  submitted_at: string | null;
  days_late: number;
  score: IScore | null;
  score_hidden_until: string | null;
  late_policy: { percent_per_day: number; cap_percent: number | null; grace_minutes: number };
  submit_now: { late: boolean; days_late: number; penalty_percent: number };
  hidden_tests: { policy: HiddenPolicy; present?: boolean; shown_from: string | null };
  local?: ILocal | null;
}

export interface IPayload {
  course: {
    id: string;
    title: string;
    title_ko: string;
    term: string;
    timezone: string;
    on_submit: boolean;
  };
  student: {
    id: string;
    name: string;
    track: string;
    track_title: string;
    track_title_ko: string;
    cohort: string;
  };
  now: string;
  modules: { id: string; title: string; title_ko: string }[];
  assignments: IAssignment[];
  progress: {
    completed: number;
    total: number;
    completion: number;
    weighted_score: number | null;
    standing: number | null;
    competencies: {
      id: string;
      title: string;
      title_ko: string;
      level: Level;
      percent: number | null;
    }[];
    overdue: string[];
    series: { assignment: string; due: string; final_percent: number }[];
  };
  withdrawn: string[];
}

/** Why the payload could not be had: not a student (403) or the course service is not answering. */
export class PanelError extends Error {
  constructor(
    readonly kind: 'forbidden' | 'unavailable',
    message: string
  ) {
    super(message);
  }
}

/** nbgrader answered {"success": false, "value": "<traceback>"}. */
export class NbgraderError extends Error {
  constructor(readonly detail: string) {
    super(detail);
  }
}

export type NbgraderAction = 'fetch' | 'submit' | 'fetch_feedback';

/** Talks to the student's own Jupyter server (same origin). */
export class CourseApi {
  constructor(readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()) {}

  async payload(): Promise<IPayload> {
    const url = URLExt.join(this.settings.baseUrl, 'medai', 'my-course');
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, { method: 'GET', cache: 'no-store' }, this.settings);
    } catch (err) {
      throw new PanelError('unavailable', String(err));
    }
    if (response.status === 403) {
      throw new PanelError('forbidden', await messageOf(response));
    }
    if (!response.ok) {
      throw new PanelError('unavailable', `${response.status} ${await messageOf(response)}`);
    }
    return (await response.json()) as IPayload;
  }

  /** One of nbgrader's exchange operations; resolves to nbgrader's answer, rejects with NbgraderError. */
  async nbgrader(action: NbgraderAction, courseId: string, assignmentId: string): Promise<unknown> {
    const url = URLExt.join(this.settings.baseUrl, 'assignments', action);
    const init: RequestInit = {
      method: 'POST',
      body: JSON.stringify({ course_id: courseId, assignment_id: assignmentId }),
      headers: { 'Content-Type': 'application/json' }
    };
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, init, this.settings);
    } catch (err) {
      throw new NbgraderError(String(err));
    }
    const text = await response.text();
    if (!response.ok) {
      throw new NbgraderError(`${response.status} ${response.statusText}\n${text}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new NbgraderError(text);
    }
    const answer = body as { success?: boolean; value?: unknown };
    if (answer && typeof answer === 'object' && answer.success === false) {
      throw new NbgraderError(String(answer.value ?? ''));
    }
    return body;
  }
}

async function messageOf(response: Response): Promise<string> {
  try {
    const body = await response.json();
    return String(body?.message ?? body?.reason ?? '');
  } catch {
    return response.statusText;
  }
}

/**
 * The one or two lines of an nbgrader error a person can act on: the exception line of a traceback
 * (without its module path), or the first and last non-empty lines of other text.
 */
export function errorSummary(detail: string): string[] {
  const lines = detail
    .split('\n')
    .map(line => line.trim())
    .filter(line => line.length > 0);
  if (lines.length === 0) {
    return [];
  }
  const traceback = lines.some(line => line.startsWith('Traceback (most recent call last)'));
  if (traceback) {
    const last = lines[lines.length - 1];
    const m = /^(?:[A-Za-z_][\w]*\.)*([A-Za-z_]\w*(?:Error|Exception|Exit)):\s*(.*)$/.exec(last);
    if (m) {
      return [m[2] || m[1]];
    }
    return [last];
  }
  return lines.length === 1 ? [lines[0]] : [lines[0], lines[lines.length - 1]];
}
