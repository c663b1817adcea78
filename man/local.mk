# Manual pages.  tests/check_manpages.sh keeps them in step with --help.
dist_man_MANS += man/cetcd.8 man/cetcd-storaged.8
