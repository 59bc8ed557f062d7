import { type ReactNode, useEffect, useRef } from 'react';

/** A screen with its heading; focus moves to the heading on arrival so screen readers announce it. */
export function Page({
  title,
  children,
  actions,
}: {
  title: string;
  children: ReactNode;
  actions?: ReactNode;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · OneVote`;
    heading.current?.focus({ preventScroll: true });
  }, [title]);
  return (
    <section className="page">
      <div className="page-head">
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {actions ? <div className="page-actions">{actions}</div> : null}
      </div>
      {children}
    </section>
  );
}
