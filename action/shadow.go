package action

// ShadowNote starts the note a decision carries when shadow mode let it
// through; the effect enforcing would have had follows ("deny", "ask").
const ShadowNote = "shadow mode: would have been "
