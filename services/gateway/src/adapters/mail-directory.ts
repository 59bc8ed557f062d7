import { constants } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mailArrival, mailIdPattern } from '@onevote/platform';
import PostalMime, { type Address } from 'postal-mime';

/** A message the local mail catcher kept, decoded for `GET /dev/mail`. */
export interface CaughtMail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  /** The message's `Date` (RFC 3339, UTC), or its arrival when it has none that parses. */
  date: string;
  /** The plain-text body, decoded (quoted-printable, base64, the text part of multipart/alternative). */
  text: string;
}

/** The mail catcher's directory (development only): one `<id>.eml` file per message. */
export class MailDirectory {
  constructor(private readonly dir: string) {}

  /** The newest `limit` messages, newest first; with `to`, only those addressed to it. */
  async list({ to, limit }: { to?: string; limit: number }): Promise<CaughtMail[]> {
    const wanted = to === undefined ? undefined : normalAddress(to);
    const found: CaughtMail[] = [];
    for (const id of await this.ids()) {
      if (found.length === limit) break;
      const raw = await this.raw(id);
      if (!raw) continue; // removed since the directory was read
      const mail = await decode(id, raw);
      if (wanted === undefined || mail.to.some((address) => normalAddress(address) === wanted)) found.push(mail);
    }
    return found;
  }

  /** The message as it arrived, or undefined when there is none with this id. */
  async raw(id: string): Promise<Buffer | undefined> {
    // The pattern admits no `/`, `.` run or NUL, so the path stays inside the directory; and a
    // symbolic link put there is not followed.
    if (!mailIdPattern.test(id)) return undefined;
    try {
      return await readFile(join(this.dir, `${id}.eml`), { flag: constants.O_RDONLY | constants.O_NOFOLLOW });
    } catch (err) {
      if (['ENOENT', 'ELOOP'].includes((err as NodeJS.ErrnoException).code ?? '')) return undefined;
      throw err;
    }
  }

  /** Ids newest first (an id starts with its arrival time). */
  private async ids(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []; // no message caught yet
      throw err;
    }
    return names
      .filter((name) => name.endsWith('.eml'))
      .map((name) => name.slice(0, -'.eml'.length))
      .filter((id) => mailIdPattern.test(id))
      .sort()
      .reverse();
  }
}

/** Addresses are compared as at registration: trimmed, lower case. */
function normalAddress(address: string): string {
  return address.trim().toLowerCase();
}

async function decode(id: string, raw: Buffer): Promise<CaughtMail> {
  const email = await PostalMime.parse(raw);
  const date = email.date === undefined ? Number.NaN : Date.parse(email.date);
  return {
    id,
    from: addresses(email.from ? [email.from] : [])[0] ?? '',
    to: addresses(email.to ?? []),
    subject: email.subject ?? '',
    date: Number.isNaN(date) ? mailArrival(id) : new Date(date).toISOString(),
    text: email.text ?? '',
  };
}

function addresses(list: Address[]): string[] {
  return list.flatMap((a) => (a.group ? a.group.map((m) => m.address) : [a.address]));
}
