import { json, send } from './http.ts';
import { authorized, authorizedJson, currentSession } from './session.ts';
import type { Election, ElectionInput, ElectionStatus, HistoryEntry, MyVote, Results } from './types.ts';

const id = encodeURIComponent;

export async function listElections(status: ElectionStatus): Promise<Election[]> {
  // Signed-in admins see drafts; anyone else lists anonymously.
  const path = `/v1/elections?status=${status}`;
  const res = currentSession() ? await authorized('GET', path) : await send(path, {});
  return (await json<{ items: Election[] }>(res)).items;
}

export async function getElection(electionId: string): Promise<Election> {
  const path = `/v1/elections/${id(electionId)}`;
  const res = currentSession() ? await authorized('GET', path) : await send(path, {});
  return json<Election>(res);
}

export function myVote(electionId: string): Promise<MyVote> {
  return authorizedJson<MyVote>('GET', `/v1/elections/${id(electionId)}/votes/me`);
}

export async function getResults(electionId: string): Promise<Results> {
  return json<Results>(await send(`/v1/elections/${id(electionId)}/results`, { cache: 'no-store' }));
}

export function createElection(input: ElectionInput): Promise<Election> {
  return authorizedJson<Election>('POST', '/v1/elections', { body: input });
}

export function updateElection(electionId: string, input: Partial<ElectionInput>): Promise<Election> {
  return authorizedJson<Election>('PATCH', `/v1/elections/${id(electionId)}`, { body: input });
}

export function deleteElection(electionId: string): Promise<void> {
  return authorizedJson<void>('DELETE', `/v1/elections/${id(electionId)}`);
}

export function transition(electionId: string, to: 'open' | 'close'): Promise<Election> {
  return authorizedJson<Election>('POST', `/v1/elections/${id(electionId)}/${to}`, { body: {} });
}

export async function history(electionId: string): Promise<HistoryEntry[]> {
  return (await authorizedJson<{ items: HistoryEntry[] }>('GET', `/v1/elections/${id(electionId)}/history`))
    .items;
}

/** Exports need DPoP headers, so a plain link cannot fetch them: download the body as a Blob. */
export async function downloadExport(electionId: string, format: 'csv' | 'json'): Promise<void> {
  const res = await authorized('GET', `/v1/elections/${id(electionId)}/export?format=${format}`);
  if (!res.ok) await json(res);
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `election-${electionId}.${format}`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
