# bash completion for fleetq                                 -*- shell-script -*-
# Works with or without the bash-completion package: the line up to the
# cursor goes to `fleetq __shellcomplete`, which splits it, reads the
# database read-only and prints the words readline should offer.
_fleetq_complete()
{
    local LC_ALL=C
    local line=${COMP_LINE:0:COMP_POINT} prog=${COMP_WORDS[0]} out opts
    [[ $prog == "~/"* ]] && prog=$HOME/${prog#"~/"}
    out=$("$prog" __shellcomplete bash "${COMP_TYPE:-9}" "$COMP_WORDBREAKS" "$line" 2>/dev/null) || return 0
    mapfile -t COMPREPLY <<<"$out"
    opts=${COMPREPLY[0]}
    COMPREPLY=("${COMPREPLY[@]:1}")
    [[ $opts == *nospace* ]] && compopt -o nospace
    [[ $opts == *nofiles* ]] && compopt +o default
    return 0
}
complete -o default -F _fleetq_complete fleetq
