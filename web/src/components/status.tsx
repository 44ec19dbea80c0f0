import type { ComponentChildren } from 'preact';
import { ApiError, errorText } from '../api.js';

/** A form's or page's error, announced to screen readers; names the field when the backend gave one. */
export function ErrorMessage({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  const field = error instanceof ApiError && error.field ? ` (field: ${error.field})` : '';
  return (
    <p class="msg msg-error" role="alert">
      <span aria-hidden="true">✖ </span>
      <strong>Error: </strong>
      {errorText(error)}
      {field}
    </p>
  );
}

export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <p class="msg msg-ok" role="status">
      <span aria-hidden="true">✔ </span>
      {children}
    </p>
  );
}

/** Days left on a certificate, as text and icon (never colour alone): expired, under 30 days, or fine. */
export function ExpiryBadge({ daysLeft }: { daysLeft: number }) {
  if (daysLeft < 0)
    return (
      <span class="badge badge-bad">
        <span aria-hidden="true">✖ </span>expired {Math.abs(daysLeft)} days ago
      </span>
    );
  if (daysLeft < 30)
    return (
      <span class="badge badge-warn">
        <span aria-hidden="true">⚠ </span>
        {daysLeft} days left
      </span>
    );
  return (
    <span class="badge badge-ok">
      <span aria-hidden="true">✔ </span>
      {daysLeft} days left
    </span>
  );
}

export function Loading() {
  return <p aria-busy="true">Loading…</p>;
}
