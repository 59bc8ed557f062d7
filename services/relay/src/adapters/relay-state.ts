import type { Sql } from '@onevote/platform';

/** Small named values the relay keeps (schema `relay`): which stream it last filled, its slot's start. */
export class RelayState {
  constructor(private readonly sql: Sql) {}

  async get(name: string): Promise<string | undefined> {
    const [row] = (await this.sql.unsafe('select value from relay.state where name = $1', [name])) as unknown as {
      value: string;
    }[];
    return row?.value;
  }

  async delete(name: string): Promise<void> {
    await this.sql.unsafe('delete from relay.state where name = $1', [name]);
  }

  async set(name: string, value: string): Promise<void> {
    await this.sql.unsafe(
      `insert into relay.state (name, value) values ($1, $2)
       on conflict (name) do update set value = excluded.value, at = now()`,
      [name, value],
    );
  }
}
