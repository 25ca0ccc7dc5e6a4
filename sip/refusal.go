package sip

import "pbx/refusal"

// finalAnswer is a final SIP answer: a code and its reason phrase.
type finalAnswer struct {
	code   int
	phrase string
}

// refusals is the one table from why routing refused a call to the answer
// the caller gets. Phrases say why, so a carrier's logs (and a softphone's
// screen) tell the cases apart; the codes are what carriers and phones
// have always been sent, so a change here is a change on the wire.
//
//	404 No Such Number            the number called is not one of ours
//	480 No Call Flow              the number is linked to no flow
//	480 Call Flow Disabled        its flow is disabled
//	480 Call Flow Not Published   its flow was never published
//	480 Call Flow Incomplete      the start state leads nowhere, or a connection names no state
//	486 Busy Here                 a transfer left by "busy" and that exit is not connected;
//	                              an extension or outside number that was busy
//	480 Temporarily Unavailable   a transfer left by "unavailable", exit not connected;
//	                              an extension with no device registered
//	480 No Answer                 a transfer left by "timeout", exit not connected; nobody
//	                              answered an extension or outside number in time
//	                              (480, not 408: RFC 3398 maps Q.850 cause 19, no answer, to 480)
//	480 Voicemail Unavailable     a voicemail state could not record the message
//	404 No Such Extension         no user has the extension called
//	402 Insufficient Credit       the company's credit cannot pay for the call
//	403 No Rate For Destination   no rate prices calls to the destination
//	403 Outbound Calls Not Allowed  the user may not call out
//	403 No Caller ID              the user has no number to show
//	404 Not Found                 the number dialed is not a phone number
//	503 Service Unavailable       no trunk, or the carrier refused the outbound call;
//	                              or this server is out of RTP ports (overloaded:
//	                              RFC 3261 21.5.4, a carrier tries another route)
//	500 Server Internal Error     an error of ours; also any Reason missing here
//
// A caller who hangs up first gets no answer from the flow (sipgo answers
// the CANCEL's INVITE with 487 Request Terminated); a call the PBX answered
// itself (to play a prompt) is hung up instead of refused.
var refusals = map[refusal.Reason]finalAnswer{
	refusal.NoSuchNumber:         {404, "No Such Number"},
	refusal.NoFlow:               {480, "No Call Flow"},
	refusal.FlowDisabled:         {480, "Call Flow Disabled"},
	refusal.FlowNotPublished:     {480, "Call Flow Not Published"},
	refusal.FlowIncomplete:       {480, "Call Flow Incomplete"},
	refusal.Busy:                 {486, "Busy Here"},
	refusal.Unavailable:          {480, "Temporarily Unavailable"},
	refusal.NoAnswer:             {480, "No Answer"},
	refusal.VoicemailUnavailable: {480, "Voicemail Unavailable"},
	refusal.NoSuchExtension:      {404, "No Such Extension"},
	refusal.InsufficientCredit:   {402, "Insufficient Credit"},
	refusal.NoRate:               {403, "No Rate For Destination"},
	refusal.OutboundNotAllowed:   {403, "Outbound Calls Not Allowed"},
	refusal.NoCallerID:           {403, "No Caller ID"},
	refusal.NotDialable:          {404, "Not Found"},
	refusal.TrunkUnavailable:     {503, "Service Unavailable"},
	refusal.Overloaded:           {503, "Service Unavailable"},
	refusal.Internal:             {500, "Server Internal Error"},
}

// serverError answers a refusal the table does not know: a Reason added
// without its answer is our bug, not the caller's.
var serverError = finalAnswer{500, "Server Internal Error"}

func refusalStatus(r refusal.Reason) finalAnswer {
	if s, ok := refusals[r]; ok {
		return s
	}
	return serverError
}

// StatusAnswered is the final status of a call that was answered, by a
// user or by the PBX itself.
const StatusAnswered = 200

// FinalStatus returns the final answer a caller gets for a call that ended
// refused for r: its code and reason phrase from the table above, 500
// Server Internal Error for a Reason the table does not know, and
// StatusAnswered with no phrase for the empty Reason (a call not refused
// was answered). It lets what never makes a call (the flow simulator) show
// the same answer a call would get.
func FinalStatus(r refusal.Reason) (code int, phrase string) {
	if r == "" {
		return StatusAnswered, ""
	}
	s := refusalStatus(r)
	return s.code, s.phrase
}
