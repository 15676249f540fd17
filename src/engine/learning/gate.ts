/**
 * The expected-value gate (BLUEPRINT "From signal to order" step 9, **Decided** after
 * measurement): when a model is promoted, an entry also needs a positive expected R after
 * costs,
 *
 *   expectedR = p × RR − (1 − p) − costsInR  >  MIN_EXPECTED_R (default 0)
 *
 * with RR = tpDistance / slDistance (1.5 before tick rounding) and
 * costsInR = (2 × takerFeeRate + slippageRate) × price / slDistance: the round-trip taker fee
 * plus the stop's slippage, in units of the stop distance. With the measured win rates of the
 * rule signals (35–42 %) and RR 1.5, p must exceed about 0.4 + costs / 2.5 to pass: the gate's
 * first job is to refuse the trades whose edge the fees eat.
 */
export interface ExpectedValueInput {
  readonly winProbability: number;
  readonly slDistance: number;
  readonly tpDistance: number;
  readonly referencePrice: number;
  readonly takerFeeRate: number;
  readonly slippageRate: number;
}

export interface ExpectedValue {
  readonly rewardRisk: number;
  readonly costsInR: number;
  readonly expectedR: number;
}

export function expectedRAfterCosts(input: ExpectedValueInput): ExpectedValue {
  const p = input.winProbability;
  const rewardRisk = input.tpDistance / input.slDistance;
  const costsInR = ((2 * input.takerFeeRate + input.slippageRate) * input.referencePrice) / input.slDistance;
  return { rewardRisk, costsInR, expectedR: p * rewardRisk - (1 - p) - costsInR };
}

/** The break-even win probability of the gate: p at which expectedR equals `minExpectedR`. */
export function breakEvenWinProbability(rewardRisk: number, costsInR: number, minExpectedR = 0): number {
  return (1 + costsInR + minExpectedR) / (rewardRisk + 1);
}
