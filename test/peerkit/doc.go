// Package peerkit starts the real SIP peers (baresip, sipp) that the
// test packages under test/ drive, so each of them runs its peers the same
// way: output collected while the test reads it, the peer killed by its
// PID when the test ends, and killed with the test binary if that dies
// first.
//
// It exists for tests alone and imports testing: nothing outside test/
// imports it, which keeps it out of the pbx binary (cmd/pbx's import test
// checks this).
package peerkit
