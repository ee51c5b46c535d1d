/**
 * The iSCSI login phase (RFC 7143 §6, §11.12-11.13, §12, §13) as pure logic: text key=value
 * decoding, security negotiation (CHAP), operational parameter negotiation and the stage machine,
 * plus full-feature-phase text answers (SendTargets). No channels, no sockets: the fabric decodes
 * the Login Request BHS into a {@link io.depot.iscsi.fabric.login.LoginRequest}, calls
 * {@link io.depot.iscsi.fabric.login.LoginNegotiation#handle} once per PDU and encodes the
 * {@link io.depot.iscsi.fabric.login.LoginResponse} it gets back.
 */
package io.depot.iscsi.fabric.login;
