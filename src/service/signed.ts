/**
 * The signed API's use cases by contract name: the one place a new signed endpoint's service function is listed.
 * `signedCall` is the path of a call after authentication (parse the parameters in POLYV's order, then the service),
 * shared by the HTTP routes, the benchmarks and the tests.
 */
import {
  compileParams,
  signedEndpoints,
  type Limits,
  type ParamFailure,
  type Parsed,
  type RawParams,
  type SignedEndpoints,
  type SignedName,
} from '@live-ccv/client/contract';
import type { z } from 'zod';
import type { Config } from '../config/config.js';
import { type ApiError, errors } from '../errors.js';
import type { App } from '../store/port.js';
import {
  channelConcurrence,
  channelMaxHistoryConcurrent,
  channelsConcurrence,
  type FamilyDeps,
  userConcurrence,
  userRealtimeConcurrence,
} from './family.js';
import { summary } from './summary.js';
import { accounts, realtimeViewers } from './accounts.js';
import { channelsCurve, summaryCurve } from './curves.js';

/** What every signed service may use: the family's dependencies, the accepted pull types and the clock. */
export type ServiceDeps = FamilyDeps & { config: Pick<Config, 'timeZone' | 'pullTypes'>; now?: () => number };

export type SignedService<E extends SignedEndpoints> = (
  deps: ServiceDeps,
  app: App,
  input: Parsed<E['params']>,
) => Promise<z.output<E['answer']>>;

export const signedServices: { [E in SignedEndpoints as E['name']]: SignedService<E> } = {
  summary,
  channelConcurrence,
  channelMaxHistoryConcurrent,
  channelsConcurrence,
  userConcurrence,
  userRealtimeConcurrence,
  summaryCurve,
  channelsCurve,
  accounts,
  realtimeViewers,
};

export const limitsOf = (config: Pick<Config, 'maxUsers' | 'maxDays' | 'pullTypes'>): Limits => ({
  maxUsers: config.maxUsers,
  maxDays: config.maxDays,
  pullTypes: config.pullTypes,
});

/** The catalogue error a parameter failure answers. */
export function paramError(f: ParamFailure): ApiError {
  if (f.error === 'notDigit') return errors.notDigit(f.detail);
  if (f.error === 'startDateAfterEndDate') return errors.startDateAfterEndDate();
  return errors.param(f.detail);
}

export type SignedCall = (name: SignedName, app: App, raw: RawParams) => Promise<unknown>;

/** Parsers built once for the deployment's limits; the returned function runs one authenticated call. */
export function signedCaller(deps: ServiceDeps & { config: Pick<Config, 'maxUsers' | 'maxDays'> }): SignedCall {
  const limits = limitsOf(deps.config);
  const parsers = new Map(signedEndpoints.map((e) => [e.name as SignedName, compileParams(e.params, limits)]));
  return async (name, app, raw) => {
    const parsed = parsers.get(name)!(raw);
    if (!parsed.ok) throw paramError(parsed.failure);
    const service = signedServices[name] as SignedService<SignedEndpoints>;
    return service(deps, app, parsed.value as never);
  };
}
