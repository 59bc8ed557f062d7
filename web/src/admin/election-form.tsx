import { type FormEvent, useState } from 'react';
import type { Election, ElectionInput, Eligibility, ResultsVisibility } from '../api/types.ts';
import { ErrorNotice } from '../components/notice.tsx';

interface OptionDraft {
  key: number;
  label: string;
}
interface QuestionDraft {
  key: number;
  title: string;
  min: number;
  max: number;
  options: OptionDraft[];
}

let nextKey = 1;
const option = (label = ''): OptionDraft => ({ key: nextKey++, label });
const question = (q?: Election['questions'][number]): QuestionDraft => ({
  key: nextKey++,
  title: q?.title ?? '',
  min: q?.minSelections ?? 1,
  max: q?.maxSelections ?? 1,
  options: q ? q.options.map((o) => option(o.label)) : [option(), option()],
});

/** `datetime-local` works in local time without a zone; the API wants RFC 3339 UTC. */
function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}
function fromLocalInput(value: string): string | null {
  return value ? new Date(value).toISOString() : null;
}

/** Create or edit a draft: questions, options, min/max, schedule, visibility, who may vote. */
export function ElectionForm({
  initial,
  submitLabel,
  onSubmit,
}: {
  initial?: Election;
  submitLabel: string;
  onSubmit: (input: ElectionInput) => Promise<void>;
}) {
  const [title, setTitle] = useState(initial?.title ?? '');
  const [description, setDescription] = useState(initial?.description ?? '');
  const [questions, setQuestions] = useState<QuestionDraft[]>(
    initial ? initial.questions.map((q) => question(q)) : [question()],
  );
  const [opensAt, setOpensAt] = useState(toLocalInput(initial?.opensAt ?? null));
  const [closesAt, setClosesAt] = useState(toLocalInput(initial?.closesAt ?? null));
  const [visibility, setVisibility] = useState<ResultsVisibility>(initial?.resultsVisibility ?? 'live');
  const [requireChallenge, setRequireChallenge] = useState(initial?.requireChallenge ?? false);
  const [eligibility, setEligibility] = useState<Eligibility>(initial?.eligibility ?? 'open');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const updateQuestion = (key: number, change: Partial<QuestionDraft>) =>
    setQuestions((qs) => qs.map((q) => (q.key === key ? { ...q, ...change } : q)));

  const problems: string[] = [];
  questions.forEach((q, i) => {
    const filled = q.options.filter((o) => o.label.trim()).length;
    if (!q.title.trim()) problems.push(`Question ${i + 1} needs a title.`);
    if (filled < 2) problems.push(`Question ${i + 1} needs at least two options.`);
    if (q.min < 1 || q.max < q.min)
      problems.push(`Question ${i + 1}: the minimum must be 1 or more and at most the maximum.`);
    if (q.max > filled) problems.push(`Question ${i + 1}: the maximum is more than the number of options.`);
  });
  if (opensAt && closesAt && new Date(opensAt) >= new Date(closesAt))
    problems.push('The election must close after it opens.');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    if (problems.length) {
      setError(new Error(problems.join(' ')));
      return;
    }
    setBusy(true);
    try {
      await onSubmit({
        title: title.trim(),
        description: description.trim(),
        questions: questions.map((q) => ({
          title: q.title.trim(),
          minSelections: q.min,
          maxSelections: q.max,
          options: q.options.filter((o) => o.label.trim()).map((o) => ({ label: o.label.trim() })),
        })),
        opensAt: fromLocalInput(opensAt),
        closesAt: fromLocalInput(closesAt),
        resultsVisibility: visibility,
        requireChallenge,
        eligibility,
      });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form election-form" onSubmit={submit}>
      <label>
        Title
        <input
          name="title"
          required
          maxLength={200}
          value={title}
          onChange={(e) => setTitle(e.target.value)}
        />
      </label>
      <label>
        <span>
          Description <span className="muted small">(optional)</span>
        </span>
        <textarea
          name="description"
          maxLength={2000}
          rows={2}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
      </label>

      {questions.map((q, qi) => (
        <fieldset key={q.key} className="card question-editor" data-testid="question-editor">
          <legend>Question {qi + 1}</legend>
          <label>
            Question
            <input
              required
              maxLength={200}
              value={q.title}
              onChange={(e) => updateQuestion(q.key, { title: e.target.value })}
            />
          </label>
          <div className="row">
            <label className="inline">
              At least
              <input
                type="number"
                min={1}
                max={50}
                value={q.min}
                onChange={(e) => updateQuestion(q.key, { min: Number(e.target.value) })}
              />
            </label>
            <label className="inline">
              At most
              <input
                type="number"
                min={1}
                max={50}
                value={q.max}
                onChange={(e) => updateQuestion(q.key, { max: Number(e.target.value) })}
              />
            </label>
          </div>
          <ol className="option-list">
            {q.options.map((o, oi) => (
              <li key={o.key} className="row">
                <label className="grow">
                  <span className="visually-hidden">
                    Question {qi + 1}, option {oi + 1}
                  </span>
                  <input
                    placeholder={`Option ${oi + 1}`}
                    maxLength={200}
                    value={o.label}
                    onChange={(e) =>
                      updateQuestion(q.key, {
                        options: q.options.map((x) =>
                          x.key === o.key ? { ...x, label: e.target.value } : x,
                        ),
                      })
                    }
                  />
                </label>
                <button
                  type="button"
                  className="secondary icon"
                  aria-label={`Remove option ${oi + 1} of question ${qi + 1}`}
                  disabled={q.options.length <= 2}
                  onClick={() => updateQuestion(q.key, { options: q.options.filter((x) => x.key !== o.key) })}
                >
                  ✕
                </button>
              </li>
            ))}
          </ol>
          <div className="row">
            <button
              type="button"
              className="secondary"
              onClick={() => updateQuestion(q.key, { options: [...q.options, option()] })}
            >
              Add option
            </button>
            {questions.length > 1 ? (
              <button
                type="button"
                className="secondary danger"
                onClick={() => setQuestions((qs) => qs.filter((x) => x.key !== q.key))}
              >
                Remove question {qi + 1}
              </button>
            ) : null}
          </div>
        </fieldset>
      ))}
      <button type="button" className="secondary" onClick={() => setQuestions((qs) => [...qs, question()])}>
        Add question
      </button>

      <fieldset className="card">
        <legend>Schedule and settings</legend>
        <div className="row">
          <label className="inline">
            <span>
              Opens at <span className="muted small">(optional)</span>
            </span>
            <input type="datetime-local" value={opensAt} onChange={(e) => setOpensAt(e.target.value)} />
          </label>
          <label className="inline">
            <span>
              Closes at <span className="muted small">(optional)</span>
            </span>
            <input type="datetime-local" value={closesAt} onChange={(e) => setClosesAt(e.target.value)} />
          </label>
        </div>
        <label>
          Results
          <select value={visibility} onChange={(e) => setVisibility(e.target.value as ResultsVisibility)}>
            <option value="live">Live while voting</option>
            <option value="after_close">Only after closing</option>
          </select>
        </label>
        <label>
          Who can vote
          <select value={eligibility} onChange={(e) => setEligibility(e.target.value as Eligibility)}>
            <option value="open">Any signed-in voter</option>
            <option value="verified_email">Voters with a verified email address</option>
            {/* The roll is uploaded on the election's page once the draft exists. */}
            <option value="roll">Only voters on the voter roll (upload it on the election's page)</option>
          </select>
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={requireChallenge}
            onChange={(e) => setRequireChallenge(e.target.checked)}
          />
          Every voter must pass an anti-bot check to vote
        </label>
      </fieldset>

      {error ? <ErrorNotice error={error} /> : null}
      <button type="submit" disabled={busy}>
        {busy ? 'Saving…' : submitLabel}
      </button>
    </form>
  );
}
