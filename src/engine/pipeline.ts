/**
 * From signal to order: the blueprint's ordered pipeline (BLUEPRINT.md "From signal
 * to order", steps 1–9) as pure functions. Every change to the leverage is recorded
 * in `leverageClamps` so a trade can be explained afterwards.
 *
 * Deliberate refinement: the blueprint redoes steps 4–6 when the liquidation guard
 * fails; here each candidate leverage is carried through step 7 (the rounded size)
 * before the guard is checked, so the guard holds for the exact position that is
 * sent, not for an approximation of it. The result is the same leverage the
 * blueprint's order gives, up to one step of rounding.
 *
 * The code lives in `./pipeline/`: config.ts (types and constants), steps.ts (each step
 * as a pure function), plan.ts (the steps in order, the risk gate, input validation).
 */
export * from './pipeline/config.js';
export * from './pipeline/steps.js';
export { planEntry, refusedOnlyByModelThresholds } from './pipeline/plan.js';
