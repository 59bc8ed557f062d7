import { authorizedJson } from './session.ts';

const id = encodeURIComponent;

export interface ReviewCluster {
  clusterId: string;
  kind: 'subnet' | 'key' | 'burst';
  network?: string;
  keyHash?: string;
  minute?: string;
  ballots: number;
  voided: number;
  challenged: number;
  peakPerMinute: number;
  perMinute: { minute: string; ballots: number; voided: number }[];
}

export interface ReviewClusters {
  electionId: string;
  voided: number;
  items: ReviewCluster[];
}

export interface ReviewedBallot {
  ballot: string;
  countedAt: string;
  network: string;
  keyHash: string;
  tokenAgeSeconds: number;
  risk: 'allow' | 'challenge';
  reasons: string[];
  voided: boolean;
  voidReason?: string;
}

export interface ClusterBallots {
  total: number;
  offset: number;
  items: ReviewedBallot[];
  nextOffset?: number;
}

export interface VoidResult {
  voided: number;
  alreadyVoided: number;
  totalVoided: number;
}

/** Fraud review (admin): clusters of suspicious ballots, their ballots, and voids. */
export function getClusters(electionId: string): Promise<ReviewClusters> {
  return authorizedJson<ReviewClusters>('GET', `/v1/elections/${id(electionId)}/review/clusters`);
}

export function getClusterBallots(electionId: string, clusterId: string, offset = 0, limit = 50): Promise<ClusterBallots> {
  return authorizedJson<ClusterBallots>(
    'GET',
    `/v1/elections/${id(electionId)}/review/clusters/${id(clusterId)}/ballots?offset=${offset}&limit=${limit}`,
  );
}

export function voidBallots(
  electionId: string,
  input: { reason: string } & ({ clusterId: string } | { ballots: string[] }),
): Promise<VoidResult> {
  return authorizedJson<VoidResult>('POST', `/v1/elections/${id(electionId)}/voids`, { body: input });
}
