// Package config resolves a command's flags from three more sources than
// the command line: the environment (BURDENWATCH_<COMMAND>_<FLAG>, then
// BURDENWATCH_<FLAG>), a file of KEY=VALUE lines named by --config or
// BURDENWATCH_CONFIG, and the flag's default, in that order of precedence.
//
// It knows no command's settings: every command binds its flags to the
// options struct of the package it drives, and Resolve fills the flags
// the command line left unset.
package config

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/spf13/pflag"
)

// Prefix starts every environment variable BurdenWatch reads.
const Prefix = "BURDENWATCH_"

// FileFlag is the name of the flag that names the configuration file.
const FileFlag = "config"

// Flag annotations (pflag.Flag.Annotations keys).
const (
	annotLocal  = "burdenwatch/local"    // only BURDENWATCH_<COMMAND>_<FLAG>
	annotSecret = "burdenwatch/secret"   // value never echoed
	annotNoCLI  = "burdenwatch/env-only" // refused on the command line
)

// EnvName is the variable every command reads for a flag:
// BURDENWATCH_<FLAG>, upper case, "-" → "_".
func EnvName(flag string) string { return Prefix + envWord(flag) }

// CommandEnvName is the variable only the named command reads for a flag:
// BURDENWATCH_<COMMAND>_<FLAG>.
func CommandEnvName(command, flag string) string {
	return Prefix + envWord(command) + "_" + envWord(flag)
}

func envWord(s string) string {
	return strings.ToUpper(strings.NewReplacer("-", "_", " ", "_").Replace(s))
}

// Local marks flags whose meaning is the command's own (the same name
// means something else in another command, e.g. --listen of broker and
// serve): they read only BURDENWATCH_<COMMAND>_<FLAG>.
func Local(fs *pflag.FlagSet, names ...string) { annotate(fs, annotLocal, names) }

// Secret marks flags whose values are never shown in an error message.
func Secret(fs *pflag.FlagSet, names ...string) { annotate(fs, annotSecret, names) }

// EnvOnly marks flags that must not be given on the command line, where
// every local user sees them in the process list (passwords): Resolve
// refuses them there and reads them from the environment or the file. They
// are also secret.
func EnvOnly(fs *pflag.FlagSet, names ...string) {
	annotate(fs, annotNoCLI, names)
	annotate(fs, annotSecret, names)
}

func annotate(fs *pflag.FlagSet, key string, names []string) {
	for _, n := range names {
		if err := fs.SetAnnotation(n, key, []string{"true"}); err != nil {
			panic(fmt.Sprintf("config: %v", err)) // a programming error: the flag is not registered
		}
	}
}

func has(f *pflag.Flag, key string) bool { _, ok := f.Annotations[key]; return ok }

// IsEnvOnly reports whether the flag is marked EnvOnly.
func IsEnvOnly(f *pflag.Flag) bool { return has(f, annotNoCLI) }

// Keys returns the variables flag f of the command reads, the first found
// winning: BURDENWATCH_<COMMAND>_<FLAG>, then BURDENWATCH_<FLAG> unless the
// flag is Local. Deprecated aliases and the help, version and config flags
// read none.
func Keys(command string, f *pflag.Flag) []string {
	switch {
	case f.Deprecated != "", f.Name == "help", f.Name == "version", f.Name == FileFlag:
		return nil
	case command == "":
		return []string{EnvName(f.Name)}
	case has(f, annotLocal):
		return []string{CommandEnvName(command, f.Name)}
	}
	return []string{CommandEnvName(command, f.Name), EnvName(f.Name)}
}

// Resolve fills every flag of fs that the command line did not set, from
// the environment (getenv) or else the configuration file (--config, or
// BURDENWATCH_CONFIG), as Keys says. An empty value counts as unset. A file
// key that is not in known (the keys of every command, so that one file
// serves them all) is refused as a likely typo; nil known accepts any.
// Errors name the variable or the file, line and key; they show the value
// only for flags that are not Secret and never for a file's lines.
func Resolve(fs *pflag.FlagSet, command string, getenv func(string) string, known map[string]bool) error {
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed && has(f, annotNoCLI) {
			errs = append(errs, fmt.Errorf("--%s 不能在命令行给出（本机其他用户可在进程列表中看到）；请用环境变量 %s 或 --config 文件",
				f.Name, Keys(command, f)[len(Keys(command, f))-1]))
		}
	})
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	file, err := readConfig(fs, getenv)
	if err != nil {
		return err
	}
	if err := file.check(known); err != nil {
		return err
	}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			return
		}
		if err := fill(fs, f, Keys(command, f), getenv, file); err != nil {
			errs = append(errs, err)
		}
	})
	return errors.Join(errs...)
}

// fill sets f from the first of keys found in the environment, else in
// the file.
func fill(fs *pflag.FlagSet, f *pflag.Flag, keys []string, getenv func(string) string, file *File) error {
	for _, k := range keys {
		if v := getenv(k); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				if has(f, annotSecret) {
					return fmt.Errorf("环境变量 %s: 不是有效的 --%s 值（%s）", k, f.Name, f.Value.Type())
				}
				return fmt.Errorf("环境变量 %s=%q: 不是有效的 --%s 值（%s）", k, v, f.Name, f.Value.Type())
			}
			return nil
		}
	}
	if file == nil {
		return nil
	}
	for _, k := range keys {
		if e, ok := file.Values[k]; ok && e.Value != "" {
			if err := fs.Set(f.Name, e.Value); err != nil {
				return fmt.Errorf("配置文件 %s 第 %d 行: %s 不是有效的 --%s 值（%s）", file.Path, e.Line, k, f.Name, f.Value.Type())
			}
			return nil
		}
	}
	return nil
}

// readConfig reads the file named by the config flag, or by
// BURDENWATCH_CONFIG when the flag is not given; nil when neither is.
func readConfig(fs *pflag.FlagSet, getenv func(string) string) (*File, error) {
	path := getenv(EnvName(FileFlag))
	if f := fs.Lookup(FileFlag); f != nil && f.Changed {
		path = f.Value.String()
	}
	if path == "" {
		return nil, nil
	}
	return ReadFile(path)
}

// File is a parsed configuration file.
type File struct {
	Path   string
	Values map[string]Entry // by variable name, BURDENWATCH_…
}

// Entry is one KEY=VALUE line of a File.
type Entry struct {
	Value string
	Line  int
}

// check refuses keys that are not known, naming the first by line.
func (f *File) check(known map[string]bool) error {
	if f == nil || known == nil {
		return nil
	}
	var bad []string
	for k := range f.Values {
		if !known[k] {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Slice(bad, func(i, j int) bool { return f.Values[bad[i]].Line < f.Values[bad[j]].Line })
	return fmt.Errorf("配置文件 %s 第 %d 行: 没有命令读取键 %s（拼写错误？）", f.Path, f.Values[bad[0]].Line, bad[0])
}

// KnownKeys are the variables the commands read: Keys of each flag of
// each (command, flag set) pair.
func KnownKeys(sets map[string][]*pflag.FlagSet) map[string]bool {
	known := map[string]bool{}
	for command, fss := range sets {
		for _, fs := range fss {
			fs.VisitAll(func(f *pflag.Flag) {
				for _, k := range Keys(command, f) {
					known[k] = true
				}
			})
		}
	}
	return known
}

var keyPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

// ReadFile reads KEY=VALUE lines. Blank lines and lines starting with #
// are skipped; a key is a flag name (topic, batch-size) or a variable
// (BURDENWATCH_TOPIC, BURDENWATCH_INGEST_TOPIC); a value may be quoted
// with "". Errors name the file, the line and at most the key, never a
// value: the file may hold passwords.
func ReadFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("配置文件: %w", err)
	}
	defer f.Close()
	out := &File{Path: path, Values: map[string]Entry{}}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok {
			return nil, fmt.Errorf("配置文件 %s 第 %d 行: 不是 KEY=VALUE 格式", path, n)
		}
		if !keyPattern.MatchString(k) {
			return nil, fmt.Errorf("配置文件 %s 第 %d 行: 键名无效（只能含字母、数字、_ 和 -）", path, n)
		}
		if !strings.HasPrefix(k, Prefix) {
			k = EnvName(k)
		}
		out.Values[k] = Entry{Value: unquote(strings.TrimSpace(v)), Line: n}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("配置文件 %s: %w", path, err)
	}
	return out, nil
}

func unquote(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}
