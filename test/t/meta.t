#!/usr/bin/perl
# META.json against the PGXN Meta Spec 1.0.0 (https://pgxn.org/spec/), with
# the checks of PGXN::Meta::Validator written out (that module is not packaged
# for Debian), plus this project's own: versions agree with the control file.
use strict;
use warnings;
use JSON::PP;
use Test::More;

my $root = $ENV{BRENT_MDM_ROOT} // '.';
my $file = "$root/META.json";
open my $fh, '<', $file or BAIL_OUT("cannot read $file: $!");
my $meta = eval { JSON::PP->new->decode(do { local $/; <$fh> }) };
ok($meta, 'META.json is valid JSON') or BAIL_OUT($@);

my $semver = qr/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:[a-zA-Z][-0-9A-Za-z]*)?$/;
my %licenses = map { $_ => 1 } qw(agpl_3 apache_1_1 apache_2_0 artistic_1 artistic_2 bsd
  freebsd gfdl_1_2 gfdl_1_3 gpl_1 gpl_2 gpl_3 lgpl_2_1 lgpl_3_0 mit mozilla_1_0 mozilla_1_1
  openssl perl_5 postgresql qpl_1_0 ssleay sun zlib open_source restricted unrestricted unknown);
my %top = map { $_ => 1 } qw(name abstract description version maintainer license provides
  prereqs resources generated_by no_index meta-spec tags release_status);

for my $key (qw(name abstract maintainer version license provides meta-spec)) {
  ok(exists $meta->{$key}, "required key $key");
}
my @unknown = grep { !$top{$_} && !/^[xX]_/ } keys %$meta;
is_deeply(\@unknown, [], 'no unknown top-level keys (custom ones start with x_)');

like($meta->{name}, qr/^[^\s\/\\:[:cntrl:]]{2,}$/, 'name: no spaces, slashes or colons');
like($meta->{abstract}, qr/\S/, 'abstract is not empty');
like($meta->{version}, $semver, 'version is a semantic version');
is($meta->{'meta-spec'}{version}, '1.0.0', 'meta-spec version 1.0.0');

my $m = $meta->{maintainer};
ok((!ref $m && length $m) || (ref $m eq 'ARRAY' && @$m && !grep { ref $_ || !length $_ } @$m),
   'maintainer is a string or a list of strings');

my $l = $meta->{license};
ok((!ref $l && $licenses{$l}) ||
   (ref $l eq 'ARRAY' && @$l && !grep { !$licenses{$_} } @$l) ||
   (ref $l eq 'HASH' && %$l && !grep { $l->{$_} !~ m{^https?://} } keys %$l),
   'license is a known PGXN licence');

my $p = $meta->{provides};
ok(ref $p eq 'HASH' && %$p, 'provides names at least one extension');
for my $ext (sort keys %$p) {
  my $e = $p->{$ext};
  ok(defined $e->{file} && -f "$root/$e->{file}", "provides $ext: file $e->{file} exists");
  like($e->{version} // '', $semver, "provides $ext: version is semantic");
  ok(!defined $e->{docfile} || -f "$root/$e->{docfile}", "provides $ext: docfile exists");
}

if (my $pr = $meta->{prereqs}) {
  my %phases = map { $_ => 1 } qw(configure build test runtime develop);
  my %rels = map { $_ => 1 } qw(requires recommends suggests conflicts);
  my @bad;
  for my $phase (keys %$pr) {
    push @bad, "phase $phase" unless $phases{$phase};
    for my $rel (keys %{ $pr->{$phase} }) {
      push @bad, "relationship $phase.$rel" unless $rels{$rel};
      for my $name (keys %{ $pr->{$phase}{$rel} }) {
        my $v = $pr->{$phase}{$rel}{$name};
        push @bad, "version of $name ($v)"
          unless $v =~ /^\s*(?:(?:[<>]=?|[!=]=)\s*)?(?:0|\d+\.\d+\.\d+(?:[a-zA-Z][-0-9A-Za-z]*)?)\s*(?:,\s*(?:(?:[<>]=?|[!=]=)\s*)?\d+\.\d+\.\d+\s*)*$/;
      }
    }
  }
  is_deeply(\@bad, [], 'prereqs: known phases, relationships and version ranges');
  ok($pr->{runtime}{requires}{PostgreSQL}, 'prereqs name PostgreSQL');
  ok($pr->{runtime}{requires}{postgis}, 'prereqs name PostGIS');
}

if (my $r = $meta->{resources}) {
  my @bad;
  for my $k (keys %$r) {
    push @bad, $k unless $k =~ /^(homepage|bugtracker|repository|x_.*)$/i;
  }
  push @bad, 'homepage' if defined $r->{homepage} && $r->{homepage} !~ m{^https?://};
  push @bad, 'bugtracker' if $r->{bugtracker} && !($r->{bugtracker}{web} || $r->{bugtracker}{mailto});
  push @bad, 'repository' if $r->{repository} && !($r->{repository}{url} || $r->{repository}{web});
  is_deeply(\@bad, [], 'resources are well formed');
}
ok(!defined $meta->{release_status} || $meta->{release_status} =~ /^(stable|testing|unstable)$/,
   'release_status is stable, testing or unstable');
ok(!defined $meta->{tags} || (ref $meta->{tags} eq 'ARRAY' && !grep { ref $_ || length $_ > 255 } @{ $meta->{tags} }),
   'tags are short strings');

# this project: one version everywhere
open my $ctl, '<', "$root/brent_mdm.control" or die $!;
my ($default) = map { /^default_version\s*=\s*'([^']+)'/ ? $1 : () } <$ctl>;
is($meta->{version}, $default, 'META.json version matches the control file');
is($meta->{provides}{brent_mdm}{version}, $default, 'provided extension version matches the control file');

done_testing();
