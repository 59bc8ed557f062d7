/** The proof-of-work solver's progress: an estimate, since the work is a lottery. */
export function ChallengeProgress({ estimate, label }: { estimate: number; label?: string }) {
  const percent = Math.round(estimate * 100);
  return (
    <div className="challenge" role="status">
      <label>
        {label ?? 'Checking this browser is not a bot'} ({percent}%)
        <progress max={100} value={percent} />
      </label>
    </div>
  );
}
