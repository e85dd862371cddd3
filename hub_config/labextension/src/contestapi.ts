/**
 * The Contests section's requests: GET <baseUrl>medai/contests and POST <baseUrl>medai/contests/<id>/submit
 * (medai.hub.my_contests, which relays them to the contest service's JSON API, medai.grader.contest.api).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export interface IContestSubmission {
  id: number;
  submitted: string;
  status: 'scored' | 'failed';
  student: string;
  public: number | null;
  low: number | null;
  high: number | null;
  summary: string;
}

export interface IContest {
  id: string;
  title: string;
  title_ko: string;
  kind: 'notebook' | 'predictions';
  phase: { id: string; title: string; title_ko: string; ends: string };
  page: string;
  cap: number;
  team: string | null;
  members: string[];
  left_today: number;
  next_allowed: string | null;
  latest: IContestSubmission[];
  running: boolean;
  refused: string | null;
}

/** What a submit request came back with: done (a score or a failure), still running, or refused (why). */
export type SubmitAnswer =
  | { kind: 'done'; id: number; status: 'scored' | 'failed'; public: number | null; summary: string }
  | { kind: 'running' }
  | { kind: 'refused'; message: string };

interface IAnswerBody {
  message?: string;
  id?: number;
  status?: 'scored' | 'failed';
  public?: number | null;
  summary?: string;
}

export class ContestApi {
  constructor(
    readonly settings: ServerConnection.ISettings,
    readonly language: string
  ) {}

  /** The student's open contests; null where there are none to show (no contest service, not a student). */
  async mine(): Promise<IContest[] | null> {
    const response = await ServerConnection.makeRequest(this._url('medai', 'contests'), { cache: 'no-store' }, this.settings);
    if (!response.ok) {
      if ([403, 404, 502, 503].includes(response.status)) {
        return null;
      }
      throw new Error(`${response.status} ${response.statusText}`);
    }
    return ((await response.json()) as { contests: IContest[] }).contests;
  }

  async submit(contest: string, path: string): Promise<SubmitAnswer> {
    const init: RequestInit = {
      method: 'POST',
      body: JSON.stringify({ path }),
      headers: { 'Content-Type': 'application/json' }
    };
    const response = await ServerConnection.makeRequest(
      this._url('medai', 'contests', encodeURIComponent(contest), 'submit'),
      init,
      this.settings
    );
    let body: IAnswerBody = {};
    try {
      body = (await response.json()) as IAnswerBody;
    } catch {
      body = { message: `${response.status} ${response.statusText}` };
    }
    if (response.status === 202) {
      return { kind: 'running' };
    }
    if (!response.ok) {
      return { kind: 'refused', message: String(body?.message ?? response.statusText) };
    }
    return {
      kind: 'done',
      id: body.id ?? 0,
      status: body.status ?? 'failed',
      public: body.public ?? null,
      summary: body.summary ?? ''
    };
  }

  private _url(...parts: string[]): string {
    const lang = this.language.toLowerCase().startsWith('en') ? 'en' : 'ko';
    return URLExt.join(this.settings.baseUrl, ...parts) + `?lang=${lang}`;
  }
}
