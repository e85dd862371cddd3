/**
 * Dates in the course's time zone, countdowns, numbers, titles in both languages and the one-line late
 * policy: everything the panel writes about time and numbers, in the student's language.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { IAssignment } from './api';

/** Abbreviations people use for zones that Intl only names "GMT+9". */
const ZONE_LABELS: { [zone: string]: string } = {
  'Asia/Seoul': 'KST',
  'Asia/Tokyo': 'JST',
  UTC: 'UTC',
  'Etc/UTC': 'UTC'
};

export const HOUR = 3600 * 1000;

export class Format {
  /**
   * @param trans - the panel's translation bundle
   * @param language - the translator's language code ("ko-KR", "en")
   * @param timeZone - the course's zone (payload.course.timezone)
   * @param skewMs - server clock minus browser clock (payload.now - Date.now() when it arrived)
   */
  constructor(
    readonly trans: TranslationBundle,
    readonly language: string,
    readonly timeZone: string,
    readonly skewMs: number = 0
  ) {
    const locale = Format.locale(language);
    this._date = new Intl.DateTimeFormat(locale, {
      timeZone,
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23'
    });
    this._short = new Intl.DateTimeFormat(locale, { timeZone, month: 'numeric', day: 'numeric' });
    this._time = new Intl.DateTimeFormat(locale, { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    this._number = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
    this._percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
    this.zone = Format.zoneLabel(timeZone);
  }

  /** "KST" for Asia/Seoul; otherwise what Intl calls the zone ("CET", "GMT+9"). */
  static zoneLabel(timeZone: string): string {
    if (ZONE_LABELS[timeZone]) {
      return ZONE_LABELS[timeZone];
    }
    try {
      const parts = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'short' }).formatToParts(
        new Date()
      );
      return parts.find(p => p.type === 'timeZoneName')?.value ?? timeZone;
    } catch {
      return timeZone;
    }
  }

  /** A BCP 47 tag Intl accepts for the translator's language code ("ko_KR" -> "ko-KR"). */
  static locale(language: string): string {
    const tag = (language || 'en').replace('_', '-');
    try {
      return Intl.DateTimeFormat.supportedLocalesOf([tag]).length ? tag : 'en';
    } catch {
      return 'en';
    }
  }

  /** Whether the student reads Korean first. */
  get korean(): boolean {
    return this.language.toLowerCase().startsWith('ko');
  }

  /** The title in the student's language first, the other language after it (empty when the same). */
  titles(en: string, ko: string): [string, string] {
    const [first, second] = this.korean ? [ko || en, en] : [en || ko, ko];
    return [first, second && second !== first ? second : ''];
  }

  /** "2026. 9. 28. (월) 23:59 KST" / "Mon, Sep 28, 2026, 23:59 KST". */
  date(iso: string | null): string {
    if (!iso) {
      return '—';
    }
    return `${this._date.format(new Date(iso))} ${this.zone}`;
  }

  /** Month and day only, for the plot's axis ("9/28"). */
  shortDate(iso: string): string {
    return this._short.format(new Date(iso));
  }

  /** The time of day of a browser timestamp, on the server's clock ("10:24 KST"). */
  time(browserMs: number): string {
    return `${this._time.format(new Date(browserMs + this.skewMs))} ${this.zone}`;
  }

  number(value: number): string {
    return this._number.format(value);
  }

  percent(value: number | null): string {
    return value === null || value === undefined ? '—' : this._percent.format(value / 100);
  }

  /** The server's clock, from the browser's corrected by the skew measured when the payload arrived. */
  now(): number {
    return Date.now() + this.skewMs;
  }

  /** "2 d 5 h left" while the deadline is less than 72 hours away; null otherwise. */
  countdown(due: string | null): string | null {
    if (!due) {
      return null;
    }
    const left = Date.parse(due) - this.now();
    if (left <= 0 || left > 72 * HOUR) {
      return null;
    }
    const minutes = Math.floor(left / 60000);
    const days = Math.floor(minutes / (24 * 60));
    const hours = Math.floor((minutes % (24 * 60)) / 60);
    const mins = minutes % 60;
    if (days > 0) {
      return this.trans.__('%1 d %2 h left', days, hours);
    }
    if (hours > 0) {
      return this.trans.__('%1 h %2 min left', hours, mins);
    }
    return this.trans.__('%1 min left', Math.max(mins, 1));
  }

  /** The late policy in one line. */
  latePolicy(policy: IAssignment['late_policy']): string {
    const { percent_per_day: perDay, cap_percent: cap, grace_minutes: grace } = policy;
    if (!perDay) {
      return this.trans.__('Late work: no penalty');
    }
    const capped = cap !== null && cap !== undefined && cap < 100;
    const day = this.percent(perDay);
    if (grace > 0 && capped) {
      return this.trans.__(
        'Late work: %1 off per day late, at most %2, after %3 minutes of grace',
        day,
        this.percent(cap),
        grace
      );
    }
    if (capped) {
      return this.trans.__('Late work: %1 off per day late, at most %2', day, this.percent(cap));
    }
    if (grace > 0) {
      return this.trans.__('Late work: %1 off per day late, after %2 minutes of grace', day, grace);
    }
    return this.trans.__('Late work: %1 off per day late', day);
  }

  private _date: Intl.DateTimeFormat;
  private _short: Intl.DateTimeFormat;
  private _time: Intl.DateTimeFormat;
  private _number: Intl.NumberFormat;
  private _percent: Intl.NumberFormat;
  readonly zone: string;
}
