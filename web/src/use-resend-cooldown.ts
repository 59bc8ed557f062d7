import { useEffect, useState } from 'react';
import { ApiError } from './api/http.ts';

// The identity service's default EMAIL_CODE_RESEND_SECONDS; a 429 says the real wait.
const resendSeconds = 60;

/**
 * The wait before another mailed code may be asked for, counting down each second: it starts when
 * a code is sent, or from the Retry-After of a 429 (`refused`).
 */
export function useResendCooldown(): { left: number; sent: () => void; refused: (err: unknown) => void } {
  const [left, setLeft] = useState(0);
  useEffect(() => {
    if (left <= 0) return;
    const timer = setTimeout(() => setLeft((s) => s - 1), 1000);
    return () => clearTimeout(timer);
  }, [left]);
  return {
    left,
    sent: () => setLeft(resendSeconds),
    refused: (err) => {
      if (err instanceof ApiError && err.code === 'rate_limited') setLeft(Math.ceil(err.retryAfter ?? resendSeconds));
    },
  };
}
