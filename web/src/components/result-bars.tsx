import type { Election, Results } from '../api/types.ts';

/** Bars per option: votes and share of all ballots (with several choices allowed, shares add up past 100%). */
export function ResultBars({ results, election }: { results: Results; election?: Election }) {
  const total = results.totalBallots;
  return (
    <div className="results">
      {results.questions.map((q) => {
        const question = election?.questions.find((x) => x.id === q.questionId);
        const headingId = `rq-${q.questionId}`;
        return (
          <section key={q.questionId} className="result-question" aria-labelledby={headingId}>
            <h2 id={headingId}>{question?.title ?? 'Question'}</h2>
            <ul className="bars">
              {q.options.map((o) => {
                const share = total > 0 ? (o.votes / total) * 100 : 0;
                return (
                  <li key={o.optionId} className="bar-row" data-testid="result-option">
                    <div className="bar-label">
                      <span className="bar-name">{o.label}</span>
                      <span className="bar-figures">
                        <strong data-testid="option-votes">{o.votes.toLocaleString()}</strong>{' '}
                        <span className="muted">({share.toFixed(1)}%)</span>
                      </span>
                    </div>
                    <div className="bar-track" aria-hidden="true">
                      <div className="bar-fill" style={{ width: `${Math.min(100, share)}%` }} />
                    </div>
                  </li>
                );
              })}
            </ul>
          </section>
        );
      })}
    </div>
  );
}
