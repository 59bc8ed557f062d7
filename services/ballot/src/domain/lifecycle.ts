/** The lifecycle `draft -> open -> closed`; nothing moves backwards or skips a step. */

export type Status = 'draft' | 'open' | 'closed';
export type Transition = 'open' | 'close';

const transitions: Record<Transition, { from: Status; to: Status }> = {
  open: { from: 'draft', to: 'open' },
  close: { from: 'open', to: 'closed' },
};

/** The status a transition needs and the one it leads to. */
export function transitionRule(transition: Transition): { from: Status; to: Status } {
  return transitions[transition];
}

/** Only a draft may be edited or deleted: once open, voters rely on the definition. */
export function isEditable(status: Status): boolean {
  return status === 'draft';
}
