/**
 * Out-of-sample evaluation of a win-probability model: AUC (with a bootstrap-by-day 95 %
 * interval), log loss next to the constant predictor's, expected calibration error, Platt
 * calibration, and the confidence definition. Pure functions, deterministic (seeded).
 */

const EPS = 1e-6;
const clipP = (p: number): number => (p < EPS ? EPS : p > 1 - EPS ? 1 - EPS : p);
export const logit = (p: number): number => {
  const c = clipP(p);
  return Math.log(c / (1 - c));
};
export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Area under the ROC curve by ranks (ties share their average rank); null without both classes. */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let positives = 0;
  let rankSum = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1] as number] === scores[order[i] as number]) j++;
    const averageRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k] as number] === 1) {
        positives++;
        rankSum += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** mulberry32 stream. */
export function seededRandom(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), t | 1);
    r ^= r + Math.imul(r ^ (r >>> 7), r | 61);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * 95 % interval of the AUC by resampling whole UTC days with replacement (signals of one day
 * are correlated; resampling single signals would make the interval too narrow). The scores
 * are sorted once; each resample only reweights them (a day drawn k times weighs k), so an
 * iteration is O(n).
 */
export function aucIntervalByDay(
  scores: readonly number[],
  labels: readonly number[],
  decidedAtMs: readonly number[],
  iterations = 400,
  seed = 7,
): { low: number; high: number } | null {
  const n = scores.length;
  const dayIndex = new Map<number, number>();
  const dayOf = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const day = Math.floor((decidedAtMs[i] as number) / 86_400_000);
    let d = dayIndex.get(day);
    if (d === undefined) dayIndex.set(day, (d = dayIndex.size));
    dayOf[i] = d;
  }
  const dayCount = dayIndex.size;
  if (dayCount < 5) return null;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  const random = seededRandom(seed);
  const weightOfDay = new Float64Array(dayCount);
  const values: number[] = [];
  for (let it = 0; it < iterations; it++) {
    weightOfDay.fill(0);
    for (let d = 0; d < dayCount; d++) weightOfDay[Math.floor(random() * dayCount)]! += 1;
    let negativesBelow = 0;
    let totalPositive = 0;
    let sum = 0;
    let i = 0;
    while (i < n) {
      let j = i;
      while (j + 1 < n && scores[order[j + 1] as number] === scores[order[i] as number]) j++;
      let groupPositive = 0;
      let groupNegative = 0;
      for (let k = i; k <= j; k++) {
        const index = order[k] as number;
        const w = weightOfDay[dayOf[index] as number] as number;
        if (labels[index] === 1) groupPositive += w;
        else groupNegative += w;
      }
      sum += groupPositive * (negativesBelow + groupNegative / 2);
      negativesBelow += groupNegative;
      totalPositive += groupPositive;
      i = j + 1;
    }
    if (totalPositive > 0 && negativesBelow > 0) values.push(sum / (totalPositive * negativesBelow));
  }
  if (values.length < iterations / 2) return null;
  values.sort((a, b) => a - b);
  const at = (q: number): number => values[Math.min(values.length - 1, Math.max(0, Math.round(q * (values.length - 1))))] as number;
  return { low: at(0.025), high: at(0.975) };
}

/** Mean binary log loss (probabilities clipped to [1e-6, 1 − 1e-6]). */
export function logLoss(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = clipP(probabilities[i] as number);
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return probabilities.length === 0 ? Number.NaN : sum / probabilities.length;
}

/** Expected calibration error over `bins` equal-width bins of predicted p. */
export function expectedCalibrationError(probabilities: ArrayLike<number>, labels: ArrayLike<number>, bins = 10): number {
  const count = new Array<number>(bins).fill(0);
  const sumP = new Array<number>(bins).fill(0);
  const sumY = new Array<number>(bins).fill(0);
  const n = probabilities.length;
  for (let i = 0; i < n; i++) {
    const p = probabilities[i] as number;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
    count[b]! += 1;
    sumP[b]! += p;
    sumY[b]! += labels[i] as number;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const c = count[b] as number;
    if (c > 0) ece += (c / n) * Math.abs((sumP[b] as number) / c - (sumY[b] as number) / c);
  }
  return n === 0 ? Number.NaN : ece;
}

export interface PlattCalibration {
  readonly a: number;
  readonly b: number;
}

/**
 * Platt scaling on a held-out slice: p = sigmoid(a · logit(raw) + b), fitted by Newton's
 * method on the log loss with Platt's smoothed targets (against overconfidence on small slices).
 */
export function fitPlatt(raw: ArrayLike<number>, labels: ArrayLike<number>): PlattCalibration {
  const n = raw.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i] === 1 ? 1 : 0;
  const negatives = n - positives;
  const hi = (positives + 1) / (positives + 2);
  const lo = 1 / (negatives + 2);
  const x = Array.from({ length: n }, (_, i) => logit(raw[i] as number));
  const t = Array.from({ length: n }, (_, i) => (labels[i] === 1 ? hi : lo));
  let a = 1;
  let b = 0;
  for (let iter = 0; iter < 50; iter++) {
    let g1 = 0;
    let g2 = 0;
    let h11 = 1e-9;
    let h22 = 1e-9;
    let h12 = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i] as number;
      const p = sigmoid(a * xi + b);
      const d = p - (t[i] as number);
      const w = p * (1 - p);
      g1 += d * xi;
      g2 += d;
      h11 += w * xi * xi;
      h22 += w;
      h12 += w * xi;
    }
    const det = h11 * h22 - h12 * h12;
    if (!(Math.abs(det) > 1e-12)) break;
    const da = (h22 * g1 - h12 * g2) / det;
    const db = (h11 * g2 - h12 * g1) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-9) break;
  }
  if (!Number.isFinite(a) || !Number.isFinite(b)) return { a: 0, b: logit((positives + 1) / (n + 2)) };
  return { a, b };
}

export function applyPlatt(calibration: PlattCalibration, raw: number): number {
  return sigmoid(calibration.a * logit(raw) + calibration.b);
}

/** Up to 101 quantiles (0 %, 1 %, …, 100 %) of held-out scores: the reference `confidence` ranks against. */
export function quantiles(values: readonly number[], count = 101): number[] {
  if (values.length === 0) return [];
  const sorted = [...values].sort((a, b) => a - b);
  return Array.from({ length: count }, (_, k) => sorted[Math.round((k / (count - 1)) * (sorted.length - 1))] as number);
}

/**
 * `confidence`: where this signal's calibrated win probability ranks among the held-out
 * (calibration-slice) signals of the model that scored it: the share of them with a lower p,
 * 0–1, 0.5 = an ordinary signal. It says "this signal looks better than most recent ones",
 * which carries information only if the model ranks (AUC > 0.5): the realised win rate per
 * confidence bucket is reported, and a model whose confidence does not rank may not raise
 * leverage with it (a `confidence` clamp in leverageClamps).
 */
export function confidenceFromReference(p: number, reference: readonly number[]): number {
  const n = reference.length;
  if (n === 0) return 0.5;
  // Binary search: count of reference values < p, ties counted half.
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((reference[mid] as number) < p) lo = mid + 1;
    else hi = mid;
  }
  let equalEnd = lo;
  while (equalEnd < n && reference[equalEnd] === p) equalEnd++;
  return (lo + (equalEnd - lo) / 2) / n;
}

export interface ConfidenceBucket {
  /** Bucket bounds of confidence, [from, to). */
  readonly from: number;
  readonly to: number;
  readonly count: number;
  readonly meanPredicted: number | null;
  readonly realisedWinRate: number | null;
}

/** Realised win rate per confidence bucket (equal-width buckets of 0–1). */
export function confidenceBuckets(
  confidences: readonly number[],
  probabilities: readonly number[],
  labels: readonly number[],
  bucketCount = 5,
): ConfidenceBucket[] {
  const buckets = Array.from({ length: bucketCount }, (_, k) => ({ from: k / bucketCount, to: (k + 1) / bucketCount, n: 0, p: 0, y: 0 }));
  confidences.forEach((c, i) => {
    const b = buckets[Math.min(bucketCount - 1, Math.max(0, Math.floor(c * bucketCount)))]!;
    b.n++;
    b.p += probabilities[i] as number;
    b.y += labels[i] as number;
  });
  return buckets.map((b) => ({
    from: b.from,
    to: b.to,
    count: b.n,
    meanPredicted: b.n > 0 ? b.p / b.n : null,
    realisedWinRate: b.n > 0 ? b.y / b.n : null,
  }));
}

/**
 * Whether confidence ranks outcomes: the upper half of confidence wins more often than the
 * lower half, and the AUC's lower 95 % bound is above 0.5 (when an interval is available).
 */
export function confidenceRanks(confidences: readonly number[], labels: readonly number[], aucLow: number | null): boolean {
  let upN = 0;
  let upY = 0;
  let downN = 0;
  let downY = 0;
  confidences.forEach((c, i) => {
    if (c >= 0.5) {
      upN++;
      upY += labels[i] as number;
    } else {
      downN++;
      downY += labels[i] as number;
    }
  });
  if (upN < 20 || downN < 20) return false;
  return upY / upN > downY / downN && aucLow !== null && aucLow > 0.5;
}
