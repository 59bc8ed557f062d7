/** Lines of an election's ballot export. No voter identity: a row has only what a receipt shows. */

export interface ExportedBallot {
  receiptId: string;
  selections: unknown;
  countedAt: string;
}

export type ExportFormat = 'csv' | 'json';

export const exportContentTypes: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

export const csvHeader = 'receiptId,countedAt,selections\n';

/** RFC 4180: quote a field that holds a comma, quote or line break, doubling inner quotes. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function csvLine(ballot: ExportedBallot): string {
  return `${csvField(ballot.receiptId)},${csvField(ballot.countedAt)},${csvField(JSON.stringify(ballot.selections))}\n`;
}

/** The JSON export is one document, `{ electionId, ballots: [...] }`, written a row at a time. */
export function jsonOpening(electionId: string): string {
  return `{"electionId":${JSON.stringify(electionId)},"ballots":[`;
}

export function jsonItem(ballot: ExportedBallot, first: boolean): string {
  return `${first ? '\n' : ',\n'}${JSON.stringify(ballot)}`;
}

export const jsonClosing = '\n]}\n';
