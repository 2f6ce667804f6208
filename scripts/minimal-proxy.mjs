// The benchmark's yardstick (issue 15): the least a Node process must do to serve the gateway's
// main read route of each family. Fastify + one undici Pool per upstream; the API key checked by
// SHA-256 (X-API-Key, the gateway's API_KEYS); upstream tokens fetched once at start and reused;
// the same normalized JSON as the gateway. Nothing else: no cache, no rate limit, no logs, no
// metrics, no validation beyond the key, no retries, no token refresh. Configured with the
// gateway's own variables (PORT, API_KEYS, MEETING_*, CCMS_*, CEC_*).
import Fastify from 'fastify';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { URL } from 'node:url';
import { Pool } from 'undici';

const require = createRequire(import.meta.url);
const { appIdAuthorization, appIdNonce } = require('../dist/families/meeting/app-id-signer.js');
const { authV2Authorization } = require('../dist/families/cc-cms/auth-v2-signer.js');
const { endReason } = require('../dist/families/cc-management/end-reasons.js');

const env = process.env;
const keyHashes = new Set(JSON.parse(env.API_KEYS ?? '[]').map((k) => k.sha256));
const json = { 'content-type': 'application/json' };

function pool(baseUrl, connections = 64) {
  return new Pool(new URL(baseUrl).origin, { connections, keepAliveTimeout: 30_000 });
}

async function post(upstream, path, body, headers) {
  const res = await upstream.request({
    method: 'POST',
    path,
    body: JSON.stringify(body),
    headers: { ...json, ...headers },
  });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`upstream ${path} answered ${res.statusCode}`);
  }
  return res.body.json();
}

const problem = (reply, status, title) => reply.status(status).type('application/problem+json').send({ status, title });
const text = (v) => (typeof v === 'number' ? String(v) : typeof v === 'string' && v.length > 0 ? v : undefined);
const optional = (key, v) => (text(v) === undefined ? {} : { [key]: text(v) });

// --- Meeting: POST userstatus with an App ID token fetched once ---------------------------------
const meeting = pool(env.MEETING_BASE_URL);
const REGISTRATION = { 0: 'registered', 1: 'unregistered' };
const CALL = { 0: 'offline', 1: 'idle', 2: 'in_call', 3: 'not_applicable' };
const stripTel = (n) => n.replace(/^tel:/i, '');

async function meetingToken() {
  const { MEETING_APP_ID: appId, MEETING_APP_KEY: appKey } = env;
  const expireTime = Math.floor(Date.now() / 1000) + 600;
  const nonce = appIdNonce();
  const auth = await post(
    meeting,
    '/v2/usg/acs/auth/appauth',
    { appId, clientType: 72, expireTime, nonce },
    { authorization: appIdAuthorization({ appId, appKey, expireTime, nonce }), 'x-token-type': 'LongTicket' },
  );
  return auth.accessToken;
}

async function meetingStatus(number, token) {
  const entries = await post(meeting, '/v1/usg/acs/ap/userstatus', [number], { 'x-access-token': token });
  const entry = entries.find((e) => stripTel(e.Number) === stripTel(number));
  if (!entry) return undefined;
  return {
    id: number,
    source: 'meeting',
    registration: REGISTRATION[entry.RegStatus] ?? 'unknown',
    call: CALL[entry.CallStatus] ?? 'unknown',
    observedAt: new Date().toISOString(),
  };
}

// --- CC-CMS: queryterminalstatus, auth-v2 signed per request; at most 10 calls in flight --------
const ccmsUrl = new URL(env.CCMS_BASE_URL);
const ccms = pool(env.CCMS_BASE_URL, 10);
const CCMS_PATH = '/rest/cmsapp/v1/openapi/uap/queryterminalstatus';
const SOCKET = { normal: 'normal', fault: 'fault', connecting: 'connecting', uninstall: 'uninstalled' };
const TLS = { connect: 'connected', unconnect: 'disconnected', uninstall: 'uninstalled' };
const MONITOR = { started: 'started', unstarted: 'stopped' };
const CC_REGISTRATION = { registered: 'registered', 'not register': 'unregistered' };

async function ccmsTerminals(query) {
  const limit = query.limit === undefined ? 100 : Number(query.limit);
  const offset = query.offset === undefined ? 0 : Number(query.offset);
  const body = JSON.stringify({
    EID: query.eid,
    limit,
    offset,
    ...(query.callCenterId !== undefined ? { ccId: Number(query.callCenterId) } : {}),
  });
  const headers = { host: ccmsUrl.host };
  const authorization = authV2Authorization({
    ak: env.CCMS_AK,
    sk: env.CCMS_SK,
    method: 'POST',
    path: CCMS_PATH,
    headers,
    body,
    date: new Date(),
  });
  const res = await ccms.request({
    method: 'POST',
    path: CCMS_PATH,
    body,
    headers: { ...json, ...headers, authorization },
  });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`CC-CMS answered ${res.statusCode}`);
  }
  const { resultCode, resultDesc } = await res.body.json();
  const observedAt = new Date().toISOString();
  // The AICC nesting ({data: {"ip#id": [..]}, count}) or the grouped one ({"ip#id": {data, count}}).
  let groups = [];
  let reported;
  if (resultCode === '0100000' && resultDesc.data) {
    groups = Object.entries(resultDesc.data).map(([key, terminals]) => [key, terminals]);
    reported = resultDesc.count === undefined ? undefined : Number(resultDesc.count);
  } else if (resultCode === '0100000') {
    groups = Object.entries(resultDesc).map(([key, g]) => [key, g.data]);
    const counts = Object.values(resultDesc).map((g) => g.count);
    reported = counts.every((c) => c !== undefined) ? counts.reduce((a, c) => a + Number(c), 0) : undefined;
  } else if (resultCode !== '0101002') {
    throw new Error(`CC-CMS result code ${resultCode}`);
  }
  const items = groups.flatMap(([key, terminals]) => {
    const at = key.indexOf('#');
    const uap = { address: key.slice(0, at), id: key.slice(at + 1) };
    return terminals.map((t) => {
      const type = text(t.terminationType);
      return {
        id: t.equipmentId,
        source: 'cc-cms',
        registration: CC_REGISTRATION[t.registerStatus] ?? 'unknown',
        call: 'unknown',
        connection: {
          socket: SOCKET[t.socketStatus] ?? 'unknown',
          tls: TLS[t.tlsStatus] ?? 'unknown',
          address: text(t.ipAndPort) ?? '',
          ...optional('roamAddress', t.roamIpAndPort),
          ipType: text(t.ipType) ?? 'unknown',
          protocol: text(t.protocolType)?.toLowerCase() ?? 'unknown',
          monitoring: MONITOR[t.monitorFlag] ?? 'unknown',
        },
        uap: { ...uap, ccuModule: text(t.ccuModuleNumber) ?? '' },
        ...(type ? { terminalType: type.toLowerCase() } : {}),
        observedAt,
      };
    });
  });
  const proven = items.length > 0 ? offset + items.length : 0;
  return { items, page: { limit, offset, total: Math.max(reported ?? proven, proven) } };
}

// --- CC-Management: queryCallState with a bearer token fetched once -----------------------------
const cec = pool(env.CEC_BASE_URL);
const CALL_STATE = { 0: 'queued', 1: 'ringing', 2: 'connected', 3: 'ended' };

async function cecToken() {
  const auth = await post(
    cec,
    '/apigovernance/api/oauth/tokenByAkSk',
    { app_key: env.CEC_AK, app_secret: env.CEC_SK },
    { 'x-token-expire': '3600' },
  );
  return auth.AccessToken;
}

async function callStatus(id, token) {
  const envelope = await post(
    cec,
    '/apiaccess/CC-Management/v1/mobileAgent/queryCallState',
    { callSerialNo: id },
    { authorization: `Bearer ${token}`, 'x-app-key': env.CEC_APP_KEY },
  );
  if (envelope.retCode !== '0') return envelope.retCode;
  const r = envelope.result;
  const state = CALL_STATE[Number(r.state)] ?? 'unknown';
  const ms = (v) => (Number(text(v)) > 0 ? Number(text(v)) : undefined);
  const startedAt = ms(r.startTime);
  const endedAt = ms(r.endTime);
  const reasonCode = text(r.reasonCode) === undefined ? undefined : Number(r.reasonCode);
  return {
    id,
    source: 'cc-management',
    state,
    caller: text(r.caller) ?? '',
    callee: text(r.called) ?? '',
    ...optional('callerDisplay', r.callerPresent),
    ...optional('agentDisplay', r.agentPresent),
    ...optional('callData', r.callData),
    ...(startedAt !== undefined ? { startedAt: new Date(startedAt).toISOString() } : {}),
    ...(endedAt !== undefined ? { endedAt: new Date(endedAt).toISOString() } : {}),
    ...(startedAt !== undefined && endedAt !== undefined && endedAt >= startedAt
      ? { durationMs: endedAt - startedAt }
      : {}),
    ...(state === 'ended' && Number.isInteger(reasonCode) ? { endReason: endReason(reasonCode) } : {}),
    observedAt: new Date().toISOString(),
  };
}

// --- The server ----------------------------------------------------------------------------------
const [meetingAccessToken, cecAccessToken] = await Promise.all([meetingToken(), cecToken()]);
const app = Fastify({ logger: false });

app.addHook('onRequest', async (request, reply) => {
  const key = request.headers['x-api-key'];
  if (typeof key !== 'string' || !keyHashes.has(createHash('sha256').update(key).digest('hex'))) {
    return problem(reply, 401, 'Unauthenticated');
  }
});
// Whatever failed upstream (refusal, transport error, result code) is a 502.
app.setErrorHandler((err, _request, reply) => problem(reply, 502, err.message));

app.get('/v1/meeting/terminals/:number/status', async (request, reply) => {
  const status = await meetingStatus(request.params.number, meetingAccessToken);
  return status ?? problem(reply, 404, 'Not found');
});
app.get('/v1/contact-center/terminals', async (request) => ccmsTerminals(request.query));
app.get('/v1/contact-center/calls/:id', async (request, reply) => {
  const result = await callStatus(request.params.id, cecAccessToken);
  if (result === '1') return problem(reply, 404, 'Not found');
  if (result === '3') return problem(reply, 400, 'Bad request');
  if (typeof result === 'string') return problem(reply, 502, `CC-Management retCode ${result}`);
  return result;
});

await app.listen({ port: Number(env.PORT ?? 4213), host: '127.0.0.1' });
const stop = () => void app.close().then(() => Promise.all([meeting.close(), ccms.close(), cec.close()]));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
