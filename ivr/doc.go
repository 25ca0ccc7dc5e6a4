// Package ivr turns the prompts of call flows into audio a call can play:
// text read aloud by a speech synthesizer (espeak-ng), WAV files an
// administrator uploaded (kept in the database, so every node of a cluster
// has them) and audio URLs. Each prompt is decoded once into a media.Clip
// that every call shares; loads are cached and concurrent loads of one
// prompt are coalesced.
//
// It imports media and invalid, and owns its gorm model; it must not import
// routing, sip or web, nor read configuration files or the environment.
package ivr
