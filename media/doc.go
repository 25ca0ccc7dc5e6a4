// Package media anchors a call's audio in the PBX: it parses and answers SDP
// (RFC 4566, RFC 3264), hands out RTP/RTCP port pairs at random from a
// configured range, opens one UDP session per call leg that takes media only
// from the leg's peer (strict source, with the port learnt for phones behind
// NAT), and relays packets between two legs, reporting dead media.
//
// It is the only package that imports pion/rtp and g711. It must not import
// sip, routing or any other package of ours, must not keep package-level
// mutable state, and must not allocate per RTP packet on the relay path. It
// never answers a peer itself: errors such as ErrNoCodec and ErrNoPorts are
// returned for the sip package to turn into responses (488, 503).
package media
