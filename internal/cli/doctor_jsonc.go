package cli

// stripJSONComments blanks out the // and /* */ comments of JSON text
// outside its strings (each comment byte becomes a space, line breaks are
// kept), the way Gemini CLI reads its settings files: a settings file with
// comments is valid to Gemini, so doctor must read what Gemini reads there
// (hooks switched off in a commented system settings file were missed). An
// unterminated block comment runs to the end, as there.
func stripJSONComments(data []byte) []byte {
	out := make([]byte, len(data))
	copy(out, data)
	inString, escaped := false, false
	for i := 0; i < len(out); i++ {
		c := out[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '/' && i+1 < len(out) && out[i+1] == '/':
			for ; i < len(out) && out[i] != '\n'; i++ {
				if out[i] != '\r' {
					out[i] = ' '
				}
			}
		case c == '/' && i+1 < len(out) && out[i+1] == '*':
			out[i], out[i+1] = ' ', ' '
			for i += 2; i < len(out); i++ {
				if out[i] == '*' && i+1 < len(out) && out[i+1] == '/' {
					out[i], out[i+1] = ' ', ' '
					i++
					break
				}
				if out[i] != '\n' && out[i] != '\r' {
					out[i] = ' '
				}
			}
		}
	}
	return out
}

// agentSettingsJSON is a settings file's content as the agent parses it:
// Gemini CLI strips comments first; the others read plain JSON.
func agentSettingsJSON(agent string, data []byte) []byte {
	if agent == "gemini" {
		return stripJSONComments(data)
	}
	return data
}
