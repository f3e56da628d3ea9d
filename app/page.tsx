import { Suspense } from 'react';
import { Dashboard } from '../components/dashboard/Dashboard';

// The dashboard reads ?select= (a deep link) on load: useSearchParams needs a Suspense
// boundary in a statically prerendered page, and the fallback is the page's first HTML.
export default function Page() {
  return (
    <Suspense fallback={<p className="p-4 text-slate-600 dark:text-slate-400">Loading podnet…</p>}>
      <Dashboard />
    </Suspense>
  );
}
