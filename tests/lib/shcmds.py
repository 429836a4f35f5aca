#!/usr/bin/env python3
"""List the programs that shell scripts and Makefile recipes run.

    tests/lib/shcmds.py FILE...      one line per call: NAME<TAB>FILE:LINE

A FILE named Makefile (or *.mk) is read as a Makefile: its recipe lines
are shell; anything else is read as POSIX sh.  NAME is a word in command
position: the first word of a simple command (after assignments and
redirections), including inside $(...), `...`, subshells and pipelines,
and the program that a wrapper runs (env, nice, exec, timeout, xargs,
runuser, sudo...).  Shell keywords, functions the file defines and
words that are computed ($VAR, "$R") are left out; a word with a slash
is printed as it is written (the caller resolves it).  Here-document
bodies are data and are skipped; a Python here-document's interpreter is
still the command before it.  A Makefile's $(CC) is cc and $(MAKE) make.

This reads the common forms the project's scripts use; it is not a
complete sh parser.  What it cannot see (a command built in a string
and run by eval or sh -c) should not be written in those scripts.
"""
import re
import shlex
import sys

KEYWORDS = {
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until",
    "for", "in", "case", "esac", "{", "}", "!", "function", "select",
}
# a wrapper runs the next word as a program; the value says how many
# arguments that are not options come before it
WRAPPERS = {
    "env": 0, "nice": 0, "exec": 0, "nohup": 0, "setsid": 0, "time": 0,
    "sudo": 0, "xargs": 0, "stdbuf": 0, "runuser": 0, "timeout": 1,
    "ionice": 0, "chrt": 1, "taskset": 1, "command": 0, "builtin": 0,
}
# options of wrappers that take a value
WRAPPER_OPTARG = {
    "nice": {"-n"}, "runuser": {"-u", "-g", "-G"},
    "env": {"-u", "--unset", "-C", "--chdir", "-S"}, "sudo": {"-u", "-g"},
    "xargs": {"-n", "-I", "-L", "-P", "-d", "-s", "-E"},
    "timeout": {"-s", "-k", "--signal", "--kill-after"},
    "ionice": {"-c", "-n"}, "stdbuf": {"-i", "-o", "-e"},
}
SEPARATORS = {";", "&&", "||", "|", "&", "(", ")", ";;", ";&", "|&", "\n",
              "((", "))", "{", "}"}
REDIRECT = re.compile(r"^[0-9]*(<|>|>>|<<|<<-|<<<|<&|>&|<>|>\||&>|&>>)$")
ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\+?=")
FUNC = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\(\s*\)", re.M)


def strip_heredocs(lines):
    """Blank the bodies of here-documents (keep line numbers)."""
    out = []
    end = None
    for ln in lines:
        if end is not None:
            out.append("")
            if ln.lstrip("\t").rstrip("\n") == end:
                end = None
            continue
        m = re.search(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1", ln)
        if m and not re.search(r"<<<", ln):
            end = m.group(2)
        out.append(ln)
    return out


QUOTED = []


def skip_quoted(text, i, closer):
    """Index just past the end of a span that starts at text[i] (just
    after its opener): closer is "'", '"', ")" (for $( ), "}" (for ${ )
    or "`".  -1 when the text ends first."""
    n = len(text)
    while i < n:
        c = text[i]
        if closer == "'":
            if c == "'":
                return i + 1
            i += 1
            continue
        if c == "\\":
            i += 2
            continue
        if c == closer:
            return i + 1
        if closer in ")}" and c == "'":
            i = skip_quoted(text, i + 1, "'")
        elif closer != "`" and c == '"' and closer != '"':
            i = skip_quoted(text, i + 1, '"')
        elif text.startswith("$(", i):
            i = skip_quoted(text, i + 2, ")")
        elif text.startswith("${", i):
            i = skip_quoted(text, i + 2, "}")
        elif c == "`" and closer != "`":
            i = skip_quoted(text, i + 1, "`")
        elif c == "(" and closer == ")":
            i = skip_quoted(text, i + 1, ")")
        else:
            i += 1
            continue
        if i < 0:
            return -1
    return -1


def extract_substitutions(text):
    """Split off $(...) and `...` bodies: returns (outer, [inner...]).

    The outer text keeps a placeholder word in their place; ${...}
    becomes a computed word, and a quoted string __Q<n>__, its text in
    QUOTED[n] (a quoted word is data: '|' is no pipe)."""
    inner = []
    out = []
    i = 0
    n = len(text)
    in_dq = False
    while i < n:
        c = text[i]
        if c == "\\":
            out.append(text[i:i + 2])
            i += 2
            continue
        if c == "'" and not in_dq:
            j = skip_quoted(text, i + 1, "'")
            j = n if j < 0 else j
            QUOTED.append(text[i + 1:j - 1])
            out.append(f"__Q{len(QUOTED) - 1}__")
            i = j
            continue
        m = re.match(r'"(\$PG_BIN/[A-Za-z0-9_.-]+)"', text[i:])
        if c == '"' and not in_dq and m:
            out.append(m.group(1))      # a program, by its path
            i += m.end()
            continue
        if c == '"':
            in_dq = not in_dq
            if in_dq:
                QUOTED.append(None)
                out.append(f"__Q{len(QUOTED) - 1}__")
            i += 1
            continue
        if in_dq and not text.startswith("$(", i) and c != "`":
            i += 1      # the string's text: data
            continue
        if text.startswith("$((", i):
            j = skip_quoted(text, i + 2, ")")
            j = n if j < 0 else j
            _, ins = extract_substitutions(text[i + 3:j])
            inner.extend(ins)
            out.append("0")
            i = j + 1
            continue
        if text.startswith("$(", i) or c == "`":
            start = i + (2 if c == "$" else 1)
            j = skip_quoted(text, start, ")" if c == "$" else "`")
            j = n + 1 if j < 0 else j
            inner.append(text[start:j - 1])
            out.append("__SUBST__")
            i = j
            continue
        if text.startswith("${", i):
            j = skip_quoted(text, i + 2, "}")
            j = n if j < 0 else j
            out.append("$V")
            i = j
            continue
        out.append(c)
        i += 1
    return "".join(out), inner


def tokens(text):
    # an escaped operator (find's \( and \;) is a word
    text = re.sub(r"\\[();&|<>]", "__ESC__", text)
    # a file descriptor number before a redirection (exec 3<>FIFO,
    # exec 2>FILE) is part of the operator, not a word
    text = re.sub(r"(^|[\s;&|(])[0-9]+(?=[<>])", r"\1", text)
    lex = shlex.shlex(text, posix=True, punctuation_chars=";&|()<>")
    lex.whitespace = " \t\r"
    lex.commenters = ""
    lex.wordchars += "$-./:=*?[]{}!%+,@~^"
    try:
        return list(lex)
    except ValueError:
        return text.split()


def strip_comment(line):
    """Drop a # comment (a # that starts a word, outside quotes)."""
    quote = None
    prev = " "
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and prev in " \t;|&(":
            return line[:i]
        prev = c
    return line


class Scanner:
    """Command words of shell text fed one logical line at a time (the
    state of case and for spans lines)."""

    def __init__(self):
        self.at_cmd = True
        self.wrapper = None
        self.wrapper_skip = 0
        self.skip_next = False
        self.case_head = False
        self.case_pattern = False
        self.case_depth = 0
        self.for_head = False
        self.trap_text = False

    def feed(self, text):
        outer, inner = extract_substitutions(text)
        for body in inner:
            sub = Scanner()
            yield from sub.feed(body)
        yield from self.scan(tokens(outer) + ["\n"])

    def scan(self, toks):
        for t in toks:
            if self.skip_next:
                self.skip_next = False
                if t != "\n":
                    continue
            if self.case_pattern:
                if t == ")":
                    self.case_pattern = False
                    self.at_cmd = True
                elif t == "esac":
                    self.case_pattern = False
                    self.case_depth -= 1
                    self.at_cmd = False
                continue
            if self.case_head:
                if t == "in":
                    self.case_head = False
                    self.case_pattern = True
                continue
            if self.trap_text:
                # trap's first argument is shell text run later
                self.trap_text = False
                m = re.match(r"^__Q([0-9]+)__$", t)
                if m and QUOTED[int(m.group(1))]:
                    yield from Scanner().feed(QUOTED[int(m.group(1))])
                    continue
            if self.for_head:
                if t in (";", "\n"):
                    self.for_head = False
                    self.at_cmd = True
                continue
            if t == "case" and self.at_cmd:
                self.case_head = True
                self.case_depth += 1
                continue
            if t == "for" and self.at_cmd:
                self.for_head = True
                continue
            if t == "esac":
                self.case_depth -= 1
                self.at_cmd = False
                continue
            if t in (";;", ";&") and self.case_depth > 0:
                self.case_pattern = True
                continue
            if t in SEPARATORS:
                self.at_cmd = True
                self.wrapper = None
                continue
            if REDIRECT.match(t):
                self.skip_next = True
                continue
            if re.match(r"^\$PG_BIN/[A-Za-z0-9_.-]+$", t):
                # PostgreSQL's programs (tests/lib/pg.sh), wherever
                # they are named (pg__as runs them)
                yield t
                self.at_cmd = False
                continue
            if not self.at_cmd:
                continue
            w = self.wrapper
            if w is not None:
                if t.startswith("-"):
                    if t in WRAPPER_OPTARG.get(w, ()):
                        self.skip_next = True
                    if w == "command" and t in ("-v", "-V"):
                        self.at_cmd = False     # a probe, not a call
                        self.wrapper = None
                    continue
                if w == "env" and ASSIGN.match(t):
                    continue
                if self.wrapper_skip > 0:
                    self.wrapper_skip -= 1
                    continue
            if ASSIGN.match(t) or t in KEYWORDS:
                continue
            if "__SUBST__" in t or "__Q" in t or "$" in t:
                self.at_cmd = False
                self.wrapper = None
                continue
            yield t
            if t == "trap":
                self.trap_text = True
            if t in WRAPPERS:
                self.wrapper = t
                self.wrapper_skip = WRAPPERS[t]
            else:
                self.at_cmd = False
                self.wrapper = None


def shell_units(path, lines):
    """(line number, logical line) of a shell file: continuations joined."""
    lines = strip_heredocs(lines)
    buf = ""
    start = 0
    depth_quote = None
    for no, ln in enumerate(lines, 1):
        ln = ln.rstrip("\n")
        if not buf:
            start = no
            ln = strip_comment(ln)
        if ln.endswith("\\"):
            buf += ln[:-1] + " "
            continue
        buf += ln
        # a quote or $( left open continues on the next line
        if unbalanced(buf):
            buf += "\n"
            continue
        yield start, buf
        buf = ""
    if buf:
        yield start, buf


def unbalanced(s):
    """1 when a quote, $( or ` opened in s is still open at its end."""
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            i += 2
        elif c in "'\"`":
            i = skip_quoted(s, i + 1, c)
        elif s.startswith("$(", i):
            i = skip_quoted(s, i + 2, ")")
        elif s.startswith("${", i):
            i = skip_quoted(s, i + 2, "}")
        else:
            i += 1
            continue
        if i < 0:
            return True
    return False


def make_refs(text):
    """A recipe line as the shell sees it: $$ is $, $(CC) cc, $(MAKE)
    make, any other $(...) or ${...} of make a computed word."""
    out = []
    i = 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("$(", i) or text.startswith("${", i):
            closer = ")" if text[i + 1] == "(" else "}"
            depth = 0
            j = i + 1
            while j < len(text):
                if text[j] in "({":
                    depth += 1
                elif text[j] in ")}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            ref = text[i + 2:j]
            out.append({"CC": "cc", "MAKE": "make"}.get(ref, "$MAKEVAR"))
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def make_units(lines):
    """(line number, shell text) of a Makefile's recipe lines."""
    buf = ""
    start = 0
    in_recipe = False
    for no, ln in enumerate(lines, 1):
        ln = ln.rstrip("\n")
        if ln.startswith("\t"):
            in_recipe = True
            body = ln[1:]
            if not buf:
                start = no
                body = body.lstrip("@-+ ")
                if body.startswith("#"):
                    continue
            if body.endswith("\\"):
                buf += body[:-1] + " "
                continue
            buf += body
            text = make_refs(buf)
            yield start, text
            buf = ""
        else:
            in_recipe = False
    if buf:
        yield start, buf


def main(argv):
    # functions of every file: tests call the helpers of the libraries
    # they source
    funcs_all = set()
    for path in argv:
        with open(path, encoding="utf-8", errors="replace") as f:
            funcs_all.update(FUNC.findall(f.read()))
    for path in argv:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.readlines()
        base = path.rsplit("/", 1)[-1]
        if base == "Makefile" or base.endswith(".mk"):
            units = make_units(lines)
        else:
            units = shell_units(path, lines)
        funcs = funcs_all
        seen = set()
        sc = Scanner()
        for no, text in units:
            for name in sc.feed(text):
                if name in funcs or (name, no) in seen:
                    continue
                seen.add((name, no))
                print(f"{name}\t{path}:{no}")


if __name__ == "__main__":
    main(sys.argv[1:])
