/**
 * The fake gateway (Discord gateway v10, JSON encoding, no compression) on the fake's
 * HTTP server, path /gateway:
 * HELLO → IDENTIFY → READY + GUILD_CREATE; heartbeats answered with ACK; RESUME replays the
 * dispatches the client missed and sends RESUMED; an unknown session gets INVALID_SESSION
 * (false) so the client identifies again. Close codes follow Discord: 4004 bad token,
 * 4005 identified twice, 4003 payload before identify, 4002 undecodable payload.
 * A clean client close (1000/1001) ends the session; anything else leaves it resumable.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { newSnowflake } from './fixture.js';
import type { GatewayEvent, GatewayEventKind, JsonObject } from './types.js';

const OP = {
  dispatch: 0,
  heartbeat: 1,
  identify: 2,
  presenceUpdate: 3,
  voiceStateUpdate: 4,
  resume: 6,
  requestGuildMembers: 8,
  invalidSession: 9,
  hello: 10,
  heartbeatAck: 11,
} as const;

/** How many missed dispatches a session keeps for RESUME. */
const REPLAY_BUFFER = 1000;

interface Dispatch {
  readonly s: number;
  readonly t: string;
  readonly d: JsonObject;
}

interface Session {
  readonly id: string;
  seq: number;
  readonly buffer: Dispatch[];
  socket: WebSocket | null;
  ended: boolean;
}

export interface GatewayOptions {
  readonly token: string;
  readonly heartbeatIntervalMs: number;
  readonly url: () => string;
  readonly ready: (sessionId: string) => JsonObject;
  readonly guilds: () => JsonObject[];
  readonly membersChunk: (guildId: string) => JsonObject | null;
  readonly onEvent: (event: GatewayEvent) => void;
}

export interface DropOptions {
  /** Close with this code (4000–4999 resumable ones, 1000 = reconnect from scratch); default: cut the TCP connection. */
  readonly code?: number;
  /** Answer new connections with HTTP 503 for this long (the gateway is "down"). */
  readonly refuseMs?: number;
  /** Forget the sessions, so the client's RESUME is refused and it identifies again. */
  readonly invalidateSessions?: boolean;
}

export class FakeGateway {
  private readonly server = new WebSocketServer({ noServer: true });
  private readonly sessions: Session[] = [];
  private readonly sockets = new Set<WebSocket>();
  private refuseUntilMs = 0;
  private lastIntents: number | null = null;

  constructor(private readonly options: GatewayOptions) {}

  /** The intents of the latest IDENTIFY (null before any). */
  get intents(): number | null {
    return this.lastIntents;
  }

  /** Sessions that receive dispatches (identified and not ended), connected or not. */
  get liveSessionCount(): number {
    return this.sessions.filter((s) => !s.ended).length;
  }

  get connectedSessionCount(): number {
    return this.sessions.filter((s) => !s.ended && s.socket !== null).length;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (Date.now() < this.refuseUntilMs) {
      this.event('refused', null, 503);
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.server.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
  }

  /** Sends a dispatch to every live session; a disconnected one gets it on RESUME. */
  dispatch(type: string, data: JsonObject): number {
    let delivered = 0;
    for (const session of this.sessions) {
      if (session.ended) continue;
      this.send(session, type, data);
      delivered += 1;
    }
    return delivered;
  }

  drop(options: DropOptions = {}): void {
    if (options.refuseMs !== undefined) this.refuseUntilMs = Date.now() + options.refuseMs;
    if (options.invalidateSessions === true) for (const session of this.sessions) session.ended = true;
    for (const ws of this.sockets) {
      const session = this.sessions.find((s) => s.socket === ws);
      if (session) session.socket = null;
      this.event('drop', session?.id ?? null, options.code ?? 1006);
      if (options.code === undefined) ws.terminate();
      else ws.close(options.code, 'dropped by the fake');
    }
    this.sockets.clear();
  }

  close(): void {
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
    this.server.close();
  }

  private onConnection(ws: WebSocket): void {
    this.sockets.add(ws);
    this.event('connect', null, null);
    let session: Session | null = null;
    ws.on('message', (raw: RawData) => {
      let payload: { op?: unknown; d?: unknown };
      try {
        payload = JSON.parse(rawText(raw)) as { op?: unknown; d?: unknown };
      } catch {
        ws.close(4002, 'Decode error');
        return;
      }
      const d = (typeof payload.d === 'object' && payload.d !== null ? payload.d : {}) as Record<string, unknown>;
      switch (payload.op) {
        case OP.heartbeat:
          this.event('heartbeat', session?.id ?? null, null);
          ws.send(JSON.stringify({ op: OP.heartbeatAck }));
          return;
        case OP.identify:
          if (session !== null) {
            ws.close(4005, 'Already authenticated');
            return;
          }
          session = this.identify(ws, d);
          return;
        case OP.resume:
          if (session !== null) {
            ws.close(4005, 'Already authenticated');
            return;
          }
          session = this.resume(ws, d);
          return;
        case OP.presenceUpdate:
        case OP.voiceStateUpdate:
          if (session === null) ws.close(4003, 'Not authenticated');
          return;
        case OP.requestGuildMembers: {
          if (session === null) {
            ws.close(4003, 'Not authenticated');
            return;
          }
          const chunk = this.options.membersChunk(String(d['guild_id']));
          if (chunk !== null) this.send(session, 'GUILD_MEMBERS_CHUNK', { ...chunk, nonce: (d['nonce'] as string | undefined) ?? null });
          return;
        }
        default:
          ws.close(4001, 'Unknown opcode');
      }
    });
    ws.on('close', (code: number) => {
      this.sockets.delete(ws);
      if (session === null || session.socket !== ws) return;
      session.socket = null;
      this.event('client_close', session.id, code);
      if (code === 1000 || code === 1001) session.ended = true;
    });
    ws.on('error', () => {
      // A cut connection; the close handler does the bookkeeping.
    });
    ws.send(JSON.stringify({ op: OP.hello, d: { heartbeat_interval: this.options.heartbeatIntervalMs } }));
  }

  private identify(ws: WebSocket, d: Record<string, unknown>): Session | null {
    if (d['token'] !== this.options.token) {
      this.event('identify_rejected', null, null);
      ws.close(4004, 'Authentication failed');
      return null;
    }
    this.lastIntents = typeof d['intents'] === 'number' ? d['intents'] : null;
    const session: Session = { id: newSnowflake(), seq: 0, buffer: [], socket: ws, ended: false };
    this.sessions.push(session);
    this.event('identify', session.id, this.lastIntents);
    this.send(session, 'READY', this.options.ready(session.id));
    this.event('ready', session.id, null);
    for (const guild of this.options.guilds()) this.send(session, 'GUILD_CREATE', guild);
    return session;
  }

  private resume(ws: WebSocket, d: Record<string, unknown>): Session | null {
    const session = this.sessions.find((s) => s.id === d['session_id']);
    this.event('resume', session?.id ?? null, null);
    if (d['token'] !== this.options.token) {
      ws.close(4004, 'Authentication failed');
      return null;
    }
    if (session === undefined || session.ended) {
      this.event('invalid_session', null, null);
      ws.send(JSON.stringify({ op: OP.invalidSession, d: false }));
      return null;
    }
    if (session.socket !== null && session.socket !== ws) session.socket.terminate();
    session.socket = ws;
    const since = typeof d['seq'] === 'number' ? d['seq'] : 0;
    for (const missed of session.buffer) if (missed.s > since) ws.send(JSON.stringify({ op: OP.dispatch, ...missed }));
    session.seq += 1;
    ws.send(JSON.stringify({ op: OP.dispatch, s: session.seq, t: 'RESUMED', d: {} }));
    this.event('resumed', session.id, null);
    return session;
  }

  private send(session: Session, type: string, data: JsonObject): void {
    session.seq += 1;
    const dispatch: Dispatch = { s: session.seq, t: type, d: data };
    session.buffer.push(dispatch);
    if (session.buffer.length > REPLAY_BUFFER) session.buffer.shift();
    if (session.socket !== null && session.socket.readyState === WebSocket.OPEN) {
      session.socket.send(JSON.stringify({ op: OP.dispatch, ...dispatch }));
    }
  }

  private event(kind: GatewayEventKind, sessionId: string | null, detail: number | null): void {
    this.options.onEvent({ kind, sessionId, at: Date.now(), detail });
  }
}

function rawText(raw: RawData): string {
  if (Buffer.isBuffer(raw)) return raw.toString('utf8');
  if (Array.isArray(raw)) return Buffer.concat(raw as Uint8Array[]).toString('utf8');
  return Buffer.from(raw).toString('utf8');
}
