#!/bin/sh
# The library's layers hold: every module says which layer it is in and
# includes nothing from a layer above; nothing in lib/ includes the umbrella
# headers; and every file (lib, tools, tests) includes only the module headers
# it uses, so an include line is a true statement of a dependency.
. "$(dirname "$0")/../lib.sh"
cd "$ROOT" || exit 1

perl - >"$TMP/out" <<'EOF'
use strict;
my @layers = qw(base sources engines analysis);
my %rank = map { $layers[$_] => $_ } 0 .. $#layers;
sub slurp { local $/; open my $f, '<', $_[0] or die "$_[0]: $!"; <$f> }
sub code {	# comments, strings and character literals out
	my $t = shift;
	$t =~ s{/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'}{ }gs;
	return $t;
}
# What each module header declares: its bi_/BI_ names, less those of the
# headers it includes itself.
my (%decl, %hinc);
for my $h (glob 'lib/*/*.h') {
	my ($m) = $h =~ m{lib/(\w+/\w+)\.h};
	my $t = slurp($h);
	$hinc{$m} = [ $t =~ /^#include "(\w+\/\w+)\.h"/mg ];
	$decl{$m} = { map { $_ => 1 } code($t) =~ /\b((?:bi|BI)_\w+)/g };
	delete $decl{$m}{$_} for grep { /_H$/ } keys %{ $decl{$m} };
}
for my $m (keys %decl) {
	for my $i (@{ $hinc{$m} }) {
		delete $decl{$m}{$_} for keys %{ $decl{$i} || {} };
	}
}
my $bad = 0;
sub fail { print "not ok - $_[0]\n"; $bad++ }
for my $f (glob('lib/*/*.[ch]'), glob('tools/*.c'), glob('tests/unit/*.c'), glob('tests/fuzz/*.c')) {
	my $t = slurp($f);
	my ($layer, $self) = $f =~ m{^lib/(\w+)/(\w+)\.[ch]$};
	if ($layer) {
		fail("$f: not in a layer folder") unless exists $rank{$layer};
		fail("$f: opening comment does not say 'Layer: $layer.'")
			if $f =~ /\.c$/ && $t !~ m{\A/\*.*?Layer: \Q$layer\E\..*?\*/}s;
		fail("$f: includes an umbrella header ($1)")
			if $t =~ /^#include "((?:bi|base|sources|engines|analysis)\.h)"/m;
	}
	my $used = { map { $_ => 1 } code($t) =~ /\b((?:bi|BI)_\w+)/g };
	for my $inc ($t =~ /^#include "(\w+\/\w+)\.h"/mg) {
		my ($il) = $inc =~ m{^(\w+)/};
		if (!exists $decl{$inc}) { fail("$f: includes $inc.h, which is no module header"); next }
		fail("$f ($layer) includes $inc.h from a layer above")
			if $layer && $rank{$il} > $rank{$layer};
		next if $layer && "$layer/$self" eq $inc;	# a module's own header
		fail("$f includes $inc.h and uses nothing it declares")
			unless grep { $used->{$_} } keys %{ $decl{$inc} };
	}
}
print "checked\n" unless $bad;
exit($bad ? 1 : 0);
EOF
st=$?
plan 2
sed 's/^/# /' "$TMP/out" | head -40
exit_ok $st "layers and includes hold"
n=$(ls lib/*/*.c | wc -l)
m=$(grep -l '^ \* Layer: ' lib/*/*.c | wc -l)
is "$m" "$n" "every module names its layer"
