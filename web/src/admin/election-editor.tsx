import { createElection, getElection, updateElection } from '../api/elections.ts';
import { ErrorNotice, Loading, Notice } from '../components/notice.tsx';
import { Page } from '../components/page.tsx';
import { navigate } from '../router.tsx';
import { useAsync } from '../use-async.ts';
import { ElectionForm } from './election-form.tsx';

export function NewElection() {
  return (
    <Page title="New election">
      <ElectionForm
        submitLabel="Create draft"
        onSubmit={async (input) => {
          const created = await createElection(input);
          navigate(`/admin/elections/${created.id}`);
        }}
      />
    </Page>
  );
}

export function EditElection({ electionId }: { electionId: string }) {
  const [state] = useAsync(() => getElection(electionId), [electionId]);
  if (state.status === 'loading') return <Loading />;
  if (state.status === 'error')
    return (
      <Page title="Edit election">
        <ErrorNotice error={state.error} />
      </Page>
    );
  const election = state.value;
  return (
    <Page title={`Edit: ${election.title}`}>
      {election.status !== 'draft' ? (
        <Notice kind="warning">Only drafts can be edited; this election is {election.status}.</Notice>
      ) : (
        <ElectionForm
          initial={election}
          submitLabel="Save changes"
          onSubmit={async (input) => {
            await updateElection(election.id, input);
            navigate(`/admin/elections/${election.id}`);
          }}
        />
      )}
    </Page>
  );
}
