#compdef fleetq
compdef _fleetq fleetq

# zsh completion for fleetq: the words up to the cursor go to
# `fleetq __shellcomplete`, which reads the database read-only and prints
# a hidden prefix and the names to offer.
_fleetq()
{
    local prog=${(Q)words[1]} cur=$PREFIX out opts keep
    local -a lines
    prog=${prog/#\~/$HOME}
    [[ -z $compstate[quote] ]] && cur=${(Q)PREFIX}
    out=$("$prog" __shellcomplete zsh "${(@Q)words[2,CURRENT-1]}" "$cur" 2>/dev/null) || return 1
    lines=("${(@f)out}")
    opts=$lines[1] keep=${lines[2]#>}
    lines=("${(@)lines[3,-1]}")
    if (( ${#lines} == 0 )); then
        [[ $opts == *nofiles* ]] && return 1
        _files
        return
    fi
    if [[ $opts == *nospace* ]]; then
        compadd -p "$keep" -S '' -- "${lines[@]}"
    else
        compadd -p "$keep" -- "${lines[@]}"
    fi
}

if [[ $funcstack[1] == _fleetq ]]; then
    _fleetq "$@"
fi
