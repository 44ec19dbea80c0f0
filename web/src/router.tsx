import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** The service serves the app here (vite `base`); client routes are paths below it. */
export const APP_BASE = '/dashboard';

/** The client route of the current URL: `/`, `/accounts/abc`, … */
export function currentRoute(): string {
  const path = window.location.pathname;
  const rest = path.startsWith(APP_BASE) ? path.slice(APP_BASE.length) : path;
  return rest === '' ? '/' : rest;
}

export function navigate(route: string): void {
  window.history.pushState(null, '', APP_BASE + route);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** Re-renders on every navigation (links, back/forward). */
export function useRoute(): string {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return route;
}

/** Match `/accounts/:id` style patterns; the params, or null. */
export function matchRoute(pattern: string, route: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const r = route.split('/').filter(Boolean);
  if (p.length !== r.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const seg = p[i]!;
    if (seg.startsWith(':')) params[seg.slice(1)] = decodeURIComponent(r[i]!);
    else if (seg !== r[i]) return null;
  }
  return params;
}

interface LinkProps {
  to: string;
  children?: ComponentChildren;
  class?: string;
  'aria-current'?: 'page';
  'aria-label'?: string;
}

/** An ordinary link (opens in a new tab with a modifier key) that navigates in place on a plain click. */
export function Link({ to, children, ...rest }: LinkProps) {
  const onClick = (e: MouseEvent) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a {...rest} href={APP_BASE + to} onClick={onClick}>
      {children}
    </a>
  );
}
