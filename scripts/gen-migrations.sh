#!/bin/sh
# Generate C source embedding store/migrations/NNN_name.sql files (given
# as arguments, in order) as the table rb_migrations (store/store_int.h).
# Numbering: 001-099 store, 100-199 daemon, 200-299 reports, 300-399 cn.
set -eu
dup=$(for f in "$@"; do basename "$f" | cut -c1-3; done | sort | uniq -d)
if [ -n "$dup" ]; then
	echo "gen-migrations: duplicate migration number(s): $dup" >&2
	exit 1
fi
echo '/* generated from store/migrations/*.sql by scripts/gen-migrations.sh: do not edit */'
echo '#include <stddef.h>'
echo 'struct rb_migration { int version; const char *name; const char *sql; };'
i=0
for f in "$@"; do
	echo "static const unsigned char m$i[] = {"
	xxd -i <"$f"
	echo ', 0x00};'
	i=$((i + 1))
done
echo 'extern const struct rb_migration rb_migrations[];'
echo 'extern const unsigned rb_migrations_count;'
echo 'const struct rb_migration rb_migrations[] = {'
i=0
for f in "$@"; do
	b=$(basename "$f" .sql)
	v=$(echo "$b" | sed 's/_.*//; s/^0*//')
	n=${b#*_}
	echo "	{${v:-0}, \"$n\", (const char *)m$i},"
	i=$((i + 1))
done
echo '	{0, NULL, NULL}};'
echo "const unsigned rb_migrations_count = $i;"
