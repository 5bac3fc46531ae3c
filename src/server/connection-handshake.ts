import { AmqpError, commandInvalid, connectionAccessRefused, notAllowed } from '../amqp/errors.js';
import { fieldString, isFieldTable, type FieldTable, type FieldValue } from '../amqp/field-types.js';
import type { LoginResult, User } from '../broker/auth/users.js';
import type { Vhost } from '../broker/vhost.js';
import {
  encodeConnectionOpenOk,
  encodeConnectionStart,
  encodeConnectionTune,
  encodeConnectionUpdateSecretOk,
  methodName,
  MethodId,
  type ConnectionUpdateSecret,
  type Method,
} from '../amqp/generated/methods.js';
import { FRAME_MIN_SIZE } from '../amqp/generated/constants.js';
import { logger } from '../util/logger.js';
import type { Connection } from './connection.js';
import { ConnectionSession } from './connection-session.js';
import { checkNewSecret, isLoopback, parseSaslResponse, saslMechanisms, serverProperties } from './handshake.js';

const log = logger('amqp.handshake');

type Step = 'start-ok' | 'tune-ok' | 'open' | 'done';

/**
 * The connection handshake, server side: start / start-ok (SASL PLAIN or AMQPLAIN),
 * tune / tune-ok, open / open-ok. Anything out of order is a 503. Also the later re-check of the
 * credentials, connection.update-secret.
 */
export class Handshake {
  private step: Step = 'start-ok';
  private authFailureClose = false;
  /** the user that logged in (start-ok), until connection.open */
  private user: User | null = null;
  /** the SASL mechanism it logged in with */
  private mechanism = '';
  /** when the client connected (the handshake starts with the socket) */
  private readonly connectedAt = Date.now();

  constructor(private readonly conn: Connection) {}

  sendStart(): void {
    encodeConnectionStart(this.conn.writer, 0, {
      versionMajor: 0,
      versionMinor: 9,
      serverProperties: serverProperties(this.conn.broker.clusterName),
      mechanisms: Buffer.from(saslMechanisms(this.conn.certLogin)),
      locales: Buffer.from('en_US'),
    });
    this.conn.scheduleFlush();
  }

  unexpected(m: Method): AmqpError {
    return commandInvalid(`unexpected method in connection state ${this.conn.state}: ${methodName(m.id)}`);
  }

  onMethod(m: Method): void {
    const conn = this.conn;
    if (m.id === MethodId.ConnectionStartOk && this.step === 'start-ok') {
      const props = m.clientProperties;
      conn.clientProperties = props as Record<string, unknown>;
      const caps = props['capabilities'];
      const capabilities: FieldTable = isFieldTable(caps) ? caps : {};
      conn.cancelNotify = capabilities['consumer_cancel_notify'] === true;
      conn.blockedNotify = capabilities['connection.blocked'] === true;
      this.authFailureClose = capabilities['authentication_failure_close'] === true;
      this.authenticate(m.mechanism, m.response);
      return;
    }
    if (m.id === MethodId.ConnectionTuneOk && this.step === 'tune-ok') {
      const limits = conn.limits;
      if (m.frameMax !== 0 && m.frameMax < FRAME_MIN_SIZE) {
        throw notAllowed(`frame_max=${m.frameMax} < ${FRAME_MIN_SIZE} min size`);
      }
      if (m.frameMax > limits.frameMax) throw notAllowed(`frame_max=${m.frameMax} > ${limits.frameMax} max size`);
      if (m.channelMax > limits.channelMax) {
        throw notAllowed(`channel_max=${m.channelMax} > ${limits.channelMax} max`);
      }
      conn.frameMax = m.frameMax === 0 ? limits.frameMax : m.frameMax;
      conn.channelMax = m.channelMax === 0 ? limits.channelMax : m.channelMax;
      conn.writer.frameMax = conn.frameMax;
      conn.reader.maxFrameSize = conn.frameMax;
      conn.heartbeat.start(m.heartbeat);
      this.step = 'open';
      return;
    }
    if (m.id === MethodId.ConnectionOpen && this.step === 'open') {
      const user = this.user as User;
      try {
        // Limits and vhost access, in RabbitMQ's order; 530 NOT_ALLOWED with its texts.
        const clientId = fieldString(conn.clientProperties['client_id'] as FieldValue);
        const session = new ConnectionSession(conn, this.mechanism, this.connectedAt);
        conn.access = conn.broker.sessions.open(user, m.virtualHost, clientId, session);
      } catch (err) {
        if (err instanceof AmqpError) {
          err.classId = 10;
          err.methodId = 40;
        }
        throw err;
      }
      const vhost = conn.broker.vhost(m.virtualHost) as Vhost;
      conn.vhost = vhost;
      encodeConnectionOpenOk(conn.writer, 0, {});
      this.step = 'done';
      conn.state = 'open';
      conn.heartbeat.stopHandshakeTimer();
      log.debug(`connection ${conn.name} open as '${conn.user}' on vhost '${vhost.name}'`);
      return;
    }
    if (m.id === MethodId.ConnectionClose) {
      conn.terminate();
      return;
    }
    throw this.unexpected(m);
  }

  /**
   * connection.update-secret on an open connection: re-check the user with the new secret
   * (checkNewSecret), answer update-secret-ok, or close with RabbitMQ's 530s.
   */
  updateSecret(m: ConnectionUpdateSecret): void {
    const conn = this.conn;
    const check = checkNewSecret(conn.broker, conn.access, m.newSecret);
    if (check === 'refused') {
      log.warn(`secret update was refused for user '${conn.user}' on ${conn.name}`);
      throw notAllowed('New secret was refused by one of the backends');
    }
    if (check === 'failed') {
      log.warn(`secret update for user '${conn.user}' failed on ${conn.name}`);
      throw notAllowed('Secret update failed');
    }
    encodeConnectionUpdateSecretOk(conn.writer, 0, {});
    log.info(`connection ${conn.name}: user '${conn.user}' updated secret, reason: ${m.reason}`);
  }

  private authenticate(mechanism: string, response: Buffer): void {
    const conn = this.conn;
    if (!saslMechanisms(conn.certLogin).split(' ').includes(mechanism)) {
      // RabbitMQ: 'invalid' for a mechanism it has but does not offer on this connection.
      throw commandInvalid(`${mechanism === 'EXTERNAL' ? 'invalid' : 'unknown'} authentication mechanism '${mechanism}'`);
    }
    let login: LoginResult;
    if (mechanism === 'EXTERNAL') {
      // SASL EXTERNAL: the name from the verified client certificate; the user must exist, and no
      // password is checked (RabbitMQ's internal backend with rabbit_auth_mechanism_ssl).
      const username = conn.certLogin?.username;
      const found = username === undefined ? undefined : conn.broker.users.get(username);
      login = found !== undefined ? { user: found } : { refused: `user '${username ?? ''}' - invalid credentials` };
    } else {
      const creds = parseSaslResponse(mechanism, response);
      login = creds === undefined ? { refused: 'no credentials in the response' } : conn.broker.users.login(creds.username, creds.password);
    }
    let reason = login.refused;
    const user = login.user;
    if (user !== undefined && conn.broker.config.loopbackUsers.includes(user.name) && !isLoopback(conn.remoteAddress)) {
      reason = `user '${user.name}' can only connect via localhost`;
    }
    conn.broker.authAttempts.record('amqp091', reason === undefined && user !== undefined);
    if (reason !== undefined || user === undefined) {
      // The reason goes to the log (with the peer, never the password); the client gets RabbitMQ's safe text.
      log.warn(`${mechanism} login refused from ${conn.remoteAddress}: ${reason ?? ''}`);
      if (this.authFailureClose) {
        throw connectionAccessRefused(`Login was refused using authentication mechanism ${mechanism}. For details see the broker logfile.`);
      }
      conn.closeSilently();
      return;
    }
    this.user = user;
    this.mechanism = mechanism;
    conn.user = user.name;
    const limits = conn.limits;
    encodeConnectionTune(conn.writer, 0, {
      channelMax: limits.channelMax,
      frameMax: limits.frameMax,
      heartbeat: limits.heartbeat,
    });
    this.step = 'tune-ok';
  }
}
