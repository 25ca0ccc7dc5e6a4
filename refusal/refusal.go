// Package refusal names why the PBX refused a call, so that the domain
// (routing) can decide it and the SIP edge can answer it without either
// importing the other: routing never picks a status code, and sip holds the
// one table that turns a Reason into one. It imports nothing.
package refusal

// Reason is why a call was refused before anyone took it. Its text is
// stable and short; it is not what the caller is shown.
type Reason string

// Why a call is refused, one constant per case routing decides.
const (
	// NoSuchNumber: the number called is not one of ours.
	NoSuchNumber Reason = "no such number"
	// NoFlow: the number is linked to no call flow.
	NoFlow Reason = "no flow"
	// FlowDisabled: the number's flow is disabled.
	FlowDisabled Reason = "flow disabled"
	// FlowNotPublished: the number's flow was never published.
	FlowNotPublished Reason = "flow not published"
	// FlowIncomplete: the flow's start leads nowhere, or a connection
	// names no state.
	FlowIncomplete Reason = "flow incomplete"
	// Busy: whoever the call was for is on another call or declined it,
	// and the flow has nothing after that.
	Busy Reason = "busy"
	// Unavailable: nobody who could take the call has a device
	// registered, and the flow has nothing after that.
	Unavailable Reason = "unavailable"
	// NoAnswer: nobody answered in time, and the flow has nothing after
	// that.
	NoAnswer Reason = "no answer"
	// VoicemailUnavailable: a voicemail state could not record the message.
	VoicemailUnavailable Reason = "voicemail unavailable"
	// NoSuchExtension: no phone user has the extension called.
	NoSuchExtension Reason = "no such extension"
	// InsufficientCredit: the company's credit cannot pay for the call.
	InsufficientCredit Reason = "insufficient credit"
	// NoRate: no rate prices calls to the destination.
	NoRate Reason = "no rate"
	// OutboundNotAllowed: the calling user may not call outside numbers.
	OutboundNotAllowed Reason = "outbound not allowed"
	// NoCallerID: the calling user has no number to show.
	NoCallerID Reason = "no caller id"
	// NotDialable: what the user dialed is not a phone number.
	NotDialable Reason = "not dialable"
	// TrunkUnavailable: no trunk could carry an outbound call, or the
	// carrier refused it.
	TrunkUnavailable Reason = "trunk unavailable"
	// Overloaded: the server cannot take the call now (its RTP ports are
	// all in use); another server, or a later try, can.
	Overloaded Reason = "overloaded"
	// Internal: an error of ours (the database failed, or the SIP side gave
	// an unexpected error).
	Internal Reason = "internal error"
)
