import { CopyButton } from './copy-button.tsx';

export function ReceiptBox({ receiptId, countedAt }: { receiptId: string; countedAt?: string }) {
  return (
    <div className="receipt">
      <p className="receipt-label">Receipt id</p>
      <div className="receipt-row">
        <code data-testid="receipt-id">{receiptId}</code>
        <CopyButton text={receiptId} label="Copy receipt id" />
      </div>
      {countedAt ? <p className="muted">Counted at {new Date(countedAt).toLocaleString()}</p> : null}
      <p className="muted small">
        Keep it: it identifies your counted ballot. Anyone can check it in the public audit log, which never shows who voted.
      </p>
    </div>
  );
}
