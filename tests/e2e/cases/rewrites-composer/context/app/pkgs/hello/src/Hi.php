<?php
namespace Hello;
final class Hi { public static function say(): string { return "hi"; } }
