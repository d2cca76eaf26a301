#pragma once
/// @file NumberList.h
/// Comma-separated numbers as a person types them: the one parser of the CLI's --mean and
/// --std and of the app's normalisation fields.

#include <string>
#include <vector>

namespace ringscope {

/// The numbers of `text` ("0.485, 0.456,0.406"): blanks around each item and empty items are
/// ignored, and numbers are read in the C format whatever the locale. Throws RingScopeError
/// naming `what` and quoting `text` when an item is not a finite number, or there is none.
std::vector<double> parseNumberList(const std::string& text, const std::string& what);

} // namespace ringscope
