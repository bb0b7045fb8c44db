# bash completion for renewctl(8)                      -*- shell-script -*-
#
# Commands, their options, files where a file is wanted, and target names
# from the running daemon (`renewctl status`) where a target is wanted.

_renewctl_targets()
{
	local sock=() i
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-s | --socket) sock=(-s "${COMP_WORDS[i + 1]}") ;;
		esac
	done
	renewctl "${sock[@]}" status 2>/dev/null |
	    awk 'NR > 1 && NF > 2 && $2 ~ /^(waiting|notified|applied|issued|verified|lapsed|unknown|-)$/ { print $1 }'
}

_renewctl()
{
	local cur prev words cword
	_init_completion || return

	local commands="status show history probe mark reset reload queue
	    maintenance plan check-csr check-bundle version help"
	local cmd="" i
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-s | --socket | -c | --config) ((i++)) ;;
		-*) ;;
		*) cmd=${words[i]}; break ;;
		esac
	done

	case $prev in
	-s | --socket)
		_filedir
		return ;;
	-c | --config | --cert | --chain | --key | --ca-file)
		_filedir
		return ;;
	--product)
		COMPREPLY=($(compgen -W "ssl ev" -- "$cur"))
		return ;;
	--expiry | --after | --count | --lifetime | --name | --note)
		return ;;
	esac

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-s --socket -c --config --json
			    -h --help -V --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return
	fi

	local opts="--json --help"
	case $cmd in
	status | show | history | reset)
		[[ $cmd == reset ]] && opts+=" --note"
		[[ $cur != -* ]] &&
		    COMPREPLY=($(compgen -W "$(_renewctl_targets)" -- "$cur")) ;;
	probe)
		opts+=" --all --no-wait"
		[[ $cur != -* ]] &&
		    COMPREPLY=($(compgen -W "$(_renewctl_targets)" -- "$cur")) ;;
	mark)
		opts+=" --note"
		if [[ $cur != -* ]]; then
			if [[ ${words[cword - 1]} == mark ]]; then
				COMPREPLY=($(compgen -W "$(_renewctl_targets)" -- "$cur"))
			else
				COMPREPLY=($(compgen -W "applied issued" -- "$cur"))
			fi
		fi ;;
	maintenance)
		opts+=" --after --count -c" ;;
	plan)
		opts+=" --expiry --product --lifetime -c" ;;
	check-csr)
		opts+=" --name"
		[[ $cur != -* ]] && _filedir ;;
	check-bundle)
		opts+=" --cert --chain --key --ca-file --name" ;;
	help)
		COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	fi
}
complete -F _renewctl renewctl
