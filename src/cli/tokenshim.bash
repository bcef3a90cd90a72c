# bash completion for tokenshim(1): verbs, their options, and the profile
# names of the config in effect (-c FILE on the line, or the default one).
# shellcheck shell=bash

_tokenshim_profiles() {
	tokenshim "$@" check --json 2>/dev/null |
		grep -o '"profile":"[^"]*"' | cut -d'"' -f4
}

_tokenshim() {
	local cur prev verb="" i cfg=() dashdash=0 words
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-c | --config)
			cfg=(-c "${COMP_WORDS[i + 1]}")
			((i++))
			;;
		--) [ "$verb" = exec ] && dashdash=1 ;;
		-*) ;;
		*) [ -z "$verb" ] && verb=${COMP_WORDS[i]} ;;
		esac
	done
	case $prev in
	-c | --config)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	--min-lifetime) return ;;
	--env)
		# NAME=PROFILE: the profile after the "="
		if [[ $cur == *=* ]]; then
			words=$(_tokenshim_profiles "${cfg[@]}")
			mapfile -t COMPREPLY < <(compgen -P "${cur%%=*}=" -W "$words" -- "${cur#*=}")
		fi
		return
		;;
	esac
	if [ -z "$verb" ]; then
		words="exec token header match check providers status login logout keygen env -c --config -h --help -V --version"
	else
		case $verb in
		exec)
			if [ "$dashdash" = 1 ]; then
				mapfile -t COMPREPLY < <(compgen -c -- "$cur")
				return
			fi
			words="--env -c --config --"
			;;
		token) words="--json --min-lifetime -c --config $(_tokenshim_profiles "${cfg[@]}")" ;;
		header) words="-c --config $(_tokenshim_profiles "${cfg[@]}")" ;;
		login | logout) words="--all -c --config $(_tokenshim_profiles "${cfg[@]}")" ;;
		match | check | providers | status) words="--json -c --config" ;;
		keygen) words="" ;;
		env)
			if [ "$prev" = --shell ]; then words="sh fish"
			else words="--unset --shell -c --config"; fi
			;;
		*) return ;;
		esac
	fi
	mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
}
complete -F _tokenshim tokenshim
