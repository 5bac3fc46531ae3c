/**
 * Message counters of a vhost that belong to no queue or exchange, bumped in place by the AMQP
 * channel (RabbitMQ counts them per channel): publisher confirms sent and unroutable mandatory
 * messages returned. The management API samples them with the queue and exchange counters.
 */
export class VhostCounters {
  /** messages confirmed (basic.ack) to publishers */
  confirmed = 0;
  /** unroutable mandatory messages sent back (basic.return) */
  returned = 0;
  /** publishes received in confirm mode on channels since closed (open ones count their own) */
  receivedConfirmClosed = 0;
}
