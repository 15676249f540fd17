// Entry of the training worker thread. Plain JavaScript so it starts the same under
// `node --import tsx` (production) and under the test runner: it loads the TypeScript task
// through tsx's scoped loader.
import { tsImport } from 'tsx/esm/api';

await tsImport('./train-task.ts', import.meta.url);
